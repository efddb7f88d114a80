//! The call-resolution webhook as a use case: authenticate, parse, normalise, route, render.
//! Authentication comes first, so a forged or unconfigured request never reaches the store.

use tracing::{error, info, warn};

use super::call_events::CallEvents;
use super::route_call::{CallRouter, Route};
use super::single_use_jwt::{claim, JwtClaim};
use super::webhook_outcome::{malformed, refused, WebhookOutcome};
use crate::domain::{OrderId, Side, VirtualNumber, E164};
use crate::metrics;
use crate::ports::{RequestId, SharedClock, SharedReplayGuard};
use crate::providers::call_report::{report_url, reports_to_status_route, ReportedCall};
use crate::providers::dial_result;
use crate::providers::dial_result::DialedLeg;
use crate::providers::whisper::{self, Whisper};
use crate::providers::{self, authenticate, Answer, CalleeMessage, ProviderKind, WebhookRequest};
use crate::public_url::{public_url, route_beside, sibling_route};
use crate::webhook_config::WebhookConfig;

pub struct ResolveCall {
    pub router: CallRouter,
    pub config: WebhookConfig,
    pub clock: SharedClock,
    /// Call ids under `REPLAY_GUARD=on` (see [`WebhookConfig::replay_guard`]); the ids of
    /// Vonage's signed JWTs always (`single_use_jwt`).
    pub replays: SharedReplayGuard,
    /// The call log a dial result writes to: a forward retried on the backup, and Vonage's
    /// per-call reports (`dial_result`). Never used by the voice answer itself.
    pub reports: CallEvents,
}

/// A voice request's call id is remembered this long under `REPLAY_GUARD=on`.
const CALL_ID_KEPT_HOURS: i64 = 24;

impl ResolveCall {
    pub async fn answer(&self, provider: ProviderKind, request: &WebhookRequest) -> WebhookOutcome {
        if let Err(e) = authenticate(provider, request, &self.config.secrets, self.clock.now()) {
            return refused(provider, &e);
        }
        let call = match providers::parse_call(provider, request) {
            Ok(call) => call,
            Err(e) => return malformed(provider, e),
        };
        let country = self.config.default_country;
        let Ok(dialled) = VirtualNumber::parse(&call.to, country) else {
            return malformed(provider, "the dialled number is not a phone number");
        };
        match claim(
            &self.replays,
            provider,
            request,
            &self.config,
            self.clock.now(),
        )
        .await
        {
            JwtClaim::Granted(_) => {}
            JwtClaim::Refused(e) => return refused(provider, &e),
            JwtClaim::Unavailable(e) => {
                error!(%provider, error = %e, "single-use JWT check unavailable");
                return self.try_again(provider, dialled);
            }
        }
        if self.config.replay_guard {
            let request = RequestId {
                hook: "voice",
                provider,
                id: call.call_id.clone(),
            };
            let keep = chrono::Duration::hours(CALL_ID_KEPT_HOURS);
            match self
                .replays
                .first_time(&request, keep, self.clock.now())
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    warn!(%provider, call_id = %call.call_id, %dialled, "voice request for a call already answered; out of session (REPLAY_GUARD)");
                    return self.render(provider, Answer::OutOfSession { dialled });
                }
                Err(e) => {
                    error!(%provider, call_id = %call.call_id, error = %e, "replay guard unavailable");
                    return self.try_again(provider, dialled);
                }
            }
        }
        let answer = match E164::parse(&call.from, country) {
            // A withheld or garbled caller ID cannot be a participant.
            Err(_) => {
                info!(%provider, call_id = %call.call_id, %dialled, "withheld or unparsable calling number; out of session");
                Answer::OutOfSession { dialled }
            }
            Ok(caller) => match self.router.route(provider, &dialled, &caller).await {
                Ok(Route::Connect {
                    order_id,
                    callee,
                    caller_id,
                    caller_side,
                }) => {
                    info!(%provider, call_id = %call.call_id, %order_id, %dialled,
                          caller = %caller.masked(), callee = %callee.masked(), %caller_id,
                          "connecting call");
                    let callee_hears =
                        self.callee_hears(provider, request, &order_id, caller_side.other());
                    let call = ReportedCall {
                        order_id,
                        caller_side,
                        dialled: dialled.clone(),
                    };
                    let report_to = self
                        .status_route(provider, request)
                        .map(|route| report_url(&route, &call));
                    let first = DialedLeg {
                        order_id: call.order_id,
                        caller_side: call.caller_side,
                        dialled: call.dialled,
                        retries: 0,
                    };
                    Answer::Connect {
                        callee,
                        caller_id,
                        report_to,
                        dial_result_to: self.dial_result_to(provider, request, &first),
                        callee_hears,
                    }
                }
                Ok(Route::OutOfSession) => {
                    info!(%provider, call_id = %call.call_id, %dialled, caller = %caller.masked(),
                          "caller not in a live session on this number; out of session");
                    Answer::OutOfSession { dialled }
                }
                Err(e) => {
                    error!(%provider, call_id = %call.call_id, error = %e, "call routing failed");
                    return self.try_again(provider, dialled);
                }
            },
        };
        self.render(provider, answer)
    }

    /// What `callee` hears on answering, before the bridge (announcement, consent notice), and
    /// where a provider that fetches it does so: from the URL alone, so the whisper reads
    /// nothing. `None` when nothing is configured: the answer is exactly as without the feature.
    fn callee_hears(
        &self,
        provider: ProviderKind,
        request: &WebhookRequest,
        order_id: &OrderId,
        callee: Side,
    ) -> Option<CalleeMessage> {
        let answer = &self.config.answer;
        let text = answer
            .announcements
            .to_callee(callee, order_id, answer.record)?;
        let url = if whisper::fetched_by(provider) {
            let route = self.route_of(provider, request, whisper::HOOK);
            if route.is_none() {
                warn!(%provider, "no whisper route beside this voice URL; the callee hears no announcement");
            }
            let named = Whisper {
                order_id: order_id.clone(),
                callee,
            };
            route.map(|route| whisper::url(&route, provider, &named, &self.config.secrets))
        } else {
            None
        };
        Some(CalleeMessage { text, url })
    }

    /// Where `provider` reports a call's outcome, when it can be told per call: the status route
    /// under the public base when one is configured (locally another function serves it), else
    /// beside the voice URL the provider called.
    pub(super) fn status_route(
        &self,
        provider: ProviderKind,
        request: &WebhookRequest,
    ) -> Option<String> {
        if !reports_to_status_route(provider) {
            return None;
        }
        self.route_of(provider, request, "status")
    }

    /// `provider`'s route `hook` under the public base when one is configured (locally another
    /// function may serve it), else beside the voice URL the provider called.
    fn route_of(
        &self,
        provider: ProviderKind,
        request: &WebhookRequest,
        hook: &str,
    ) -> Option<String> {
        match &self.config.public_base_url {
            Some(base) => Some(public_url(base, &format!("/webhooks/{provider}/{hook}"))),
            None => route_beside(&request.url, hook).or_else(|| sibling_route(&request.url, hook)),
        }
    }

    /// Where `provider` reports how `leg` ended (`providers::dial_result`): its dial-result
    /// route, with the leg named in the URL. Exotel re-fetches the voice URL instead, asked to by
    /// the answer itself: its marker is the URL it was called at.
    pub(super) fn dial_result_to(
        &self,
        provider: ProviderKind,
        request: &WebhookRequest,
        leg: &DialedLeg,
    ) -> Option<String> {
        if !dial_result::has_route(provider) {
            return (leg.retries == 0).then(|| request.url.clone());
        }
        let route = self.route_of(provider, request, dial_result::HOOK);
        if route.is_none() {
            warn!(%provider, "no dial-result route beside this URL; a failed forward is not retried");
        }
        route.map(|route| dial_result::url(&route, provider, leg, &self.config.secrets))
    }

    /// The store failed: a 5xx would make the provider play its own generic error (or its
    /// fallback URL), so the caller hears Maskline's "try again" in the provider's format
    /// instead, revealing nothing; the failure is counted (`CallPathFailures`) and alarmed on.
    pub(super) fn try_again(
        &self,
        provider: ProviderKind,
        dialled: VirtualNumber,
    ) -> WebhookOutcome {
        metrics::call_path_failure();
        metrics::call_answered(provider, "try_again");
        WebhookOutcome::Answer(providers::render(
            provider,
            &Answer::OutOfSession { dialled },
            &self.config.answer.trying_again(),
        ))
    }

    fn render(&self, provider: ProviderKind, answer: Answer) -> WebhookOutcome {
        let outcome = match &answer {
            Answer::Connect { .. } => "connect",
            Answer::OutOfSession { .. } => "out_of_session",
        };
        metrics::call_answered(provider, outcome);
        WebhookOutcome::Answer(providers::render(provider, &answer, &self.config.answer))
    }
}
