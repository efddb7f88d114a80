//! The dial-result route (`/webhooks/{provider}/dial-result`, and Exotel's re-fetch of its voice
//! URL): how the forwarded leg ended. A failed leg (the operator could not connect it) is tried
//! once more, to the same callee, presented from the backup VN the callee would dial back; busy,
//! unanswered and finished legs end the call as they are. Only this path reads again (the
//! session, for the backup and the callee) and writes (the call log and the number's failure run):
//! the happy path stays one `GetItem` and writes nothing.

use tracing::{error, info, warn};

use super::number_health::track_call_outcome;
use super::route_call::Route;
use super::single_use_jwt::{claim, JwtClaim};
use super::webhook_outcome::{malformed, refused, WebhookOutcome};
use super::ResolveCall;
use crate::domain::events::PublishedEvent;
use crate::domain::session::SessionStatus;
use crate::domain::{Side, VirtualNumber, E164};
use crate::metrics;
use crate::ports::{CallRecord, Recorded};
use crate::privacy::Owner;
use crate::providers::call_report::{report_url, reports_through_dial_result, ReportedCall};
use crate::providers::dial_result::{
    self, authenticate_dial_result, parse_leg, parse_result, render_end, DialedLeg, LegResult,
    MAX_RETRIES,
};
use crate::providers::{self, Answer, CallStatus, ProviderKind, WebhookRequest};

impl ResolveCall {
    /// A provider's report of how a forwarded leg ended, at its dial-result URL.
    pub async fn dial_result(
        &self,
        provider: ProviderKind,
        request: &WebhookRequest,
    ) -> WebhookOutcome {
        if !dial_result::has_route(provider) {
            return WebhookOutcome::NotOurs;
        }
        let now = self.clock.now();
        if let Err(e) = authenticate_dial_result(provider, request, &self.config.secrets, now) {
            return refused(provider, &e);
        }
        let leg = match parse_leg(request) {
            Ok(leg) => leg,
            Err(e) => return malformed(provider, e),
        };
        let result = match parse_result(provider, request) {
            Ok(result) => result,
            Err(e) => return malformed(provider, e),
        };
        match claim(&self.replays, provider, request, &self.config, now).await {
            JwtClaim::Granted(_) => {}
            JwtClaim::Refused(e) => return refused(provider, &e),
            JwtClaim::Unavailable(e) => {
                error!(%provider, error = %e, "single-use JWT check unavailable");
                return self.try_again(provider, leg.dialled);
            }
        }
        self.after_leg(provider, request, leg, result).await
    }

    /// Exotel's re-fetch of its voice URL after an attempt (`fetch_after_attempt`): its token is
    /// the authentication, and the call is found again through its binding, which the URL
    /// cannot name. Only a first answer asks for the re-fetch, so this is always the first leg.
    pub async fn exotel_refetch(&self, request: &WebhookRequest) -> WebhookOutcome {
        let provider = ProviderKind::Exotel;
        if let Err(e) =
            providers::authenticate(provider, request, &self.config.secrets, self.clock.now())
        {
            return refused(provider, &e);
        }
        let call = match providers::parse_call(provider, request) {
            Ok(call) => call,
            Err(e) => return malformed(provider, e),
        };
        let result = match parse_result(provider, request) {
            Ok(result) => result,
            Err(e) => return malformed(provider, e),
        };
        let country = self.config.default_country;
        let Ok(dialled) = VirtualNumber::parse(&call.to, country) else {
            return malformed(provider, "the dialled number is not a phone number");
        };
        if result.status != CallStatus::Failed {
            return self.end(provider, &result);
        }
        let Ok(caller) = E164::parse(&call.from, country) else {
            return self.out_of_service(provider, dialled);
        };
        match self.router.route(provider, &dialled, &caller).await {
            Ok(Route::Connect {
                order_id,
                caller_side,
                ..
            }) => {
                let leg = DialedLeg {
                    order_id,
                    caller_side,
                    dialled,
                    retries: 0,
                };
                self.after_leg(provider, request, leg, result).await
            }
            Ok(Route::OutOfSession) => self.out_of_service(provider, dialled),
            Err(e) => {
                error!(%provider, call_id = %result.call_id, error = %e, "call routing failed");
                self.try_again(provider, dialled)
            }
        }
    }

    async fn after_leg(
        &self,
        provider: ProviderKind,
        request: &WebhookRequest,
        leg: DialedLeg,
        result: LegResult,
    ) -> WebhookOutcome {
        if result.status != CallStatus::Failed {
            self.log_reported(provider, &leg, &result).await;
            return self.end(provider, &result);
        }
        if leg.retries >= MAX_RETRIES {
            info!(%provider, call_id = %result.call_id, order_id = %leg.order_id,
                  "the retry on the backup failed too; out of service");
            if reports_through_dial_result(provider) {
                self.log_reported(provider, &leg, &result).await;
            } else {
                self.count_failure(provider, &leg, &result).await;
            }
            return self.out_of_service(provider, leg.dialled);
        }
        match self.retry_on_backup(provider, request, &leg).await {
            Ok(Some(answer)) => {
                self.log_retry(provider, &leg, &result).await;
                metrics::call_answered(provider, "retry_on_backup");
                WebhookOutcome::Answer(providers::render(provider, &answer, &self.config.answer))
            }
            Ok(None) => {
                info!(%provider, call_id = %result.call_id, order_id = %leg.order_id,
                      "forward failed and no backup to retry on; out of service");
                self.log_reported(provider, &leg, &result).await;
                self.out_of_service(provider, leg.dialled)
            }
            Err(e) => {
                error!(%provider, call_id = %result.call_id, error = %e, "could not read the session for a retry");
                self.try_again(provider, leg.dialled)
            }
        }
    }

    /// The second forward of `leg`'s call: the same callee, shown the backup VN they would dial
    /// back, when the session is still callable and has one. One read: the session.
    async fn retry_on_backup(
        &self,
        provider: ProviderKind,
        request: &WebhookRequest,
        leg: &DialedLeg,
    ) -> Result<Option<Answer>, Box<dyn std::error::Error + Send + Sync>> {
        let store = &self.router.store;
        let Some(record) = store.load_session(&leg.order_id).await? else {
            return Ok(None);
        };
        let session = &record.session;
        if session.status_at(self.clock.now()) == SessionStatus::Expired {
            return Ok(None);
        }
        let Some(numbers) = &session.numbers else {
            return Ok(None);
        };
        // The dial-result names a VN of the calling side's: a session whose numbers moved since
        // (a failover, a new agent) is not the call that was made.
        if !numbers.all_of(leg.caller_side).any(|vn| vn == &leg.dialled) {
            return Ok(None);
        }
        let callee_side = leg.caller_side.other();
        let Some(backup) = numbers.backup_of(callee_side) else {
            return Ok(None);
        };
        let participant = match callee_side {
            Side::Customer => &record.customer,
            Side::Driver => &record.driver,
        };
        let Some(participant) = participant else {
            return Ok(None);
        };
        let callee = self.router.vault.open(
            &participant.sealed,
            Owner {
                order: &leg.order_id,
                side: callee_side,
            },
        )?;
        let retried = DialedLeg {
            retries: leg.retries + 1,
            ..leg.clone()
        };
        info!(%provider, order_id = %leg.order_id, dialled = %leg.dialled,
              callee = %callee.masked(), backup = %backup, "forward failed; retrying on the backup");
        Ok(Some(Answer::Connect {
            callee,
            caller_id: backup.clone(),
            // The retried leg's outcome, to the same per-call report URL as the first's.
            report_to: self.status_route(provider, request).map(|route| {
                report_url(
                    &route,
                    &ReportedCall {
                        order_id: leg.order_id.clone(),
                        caller_side: leg.caller_side,
                        dialled: leg.dialled.clone(),
                    },
                )
            }),
            // The retry's own result: a second failure ends in the out-of-service message.
            // Exotel is asked for no further fetch.
            dial_result_to: self.dial_result_to(provider, request, &retried),
            callee_hears: None,
        }))
    }

    /// The failed first leg in the call log, flagged as retried on the backup, and counted toward
    /// the dialled number's failure run. Its event waits: the call goes on.
    async fn log_retry(&self, provider: ProviderKind, leg: &DialedLeg, result: &LegResult) {
        let record = self.leg_record(provider, leg, result, true);
        match self.reports.calls.record_call(&record, true).await {
            Ok(Recorded::New) => self.track(provider, &record).await,
            Ok(Recorded::Duplicate { .. }) => {
                info!(%provider, call_id = %record.call_id, "failed leg already logged")
            }
            // The caller is being connected; losing the log line only delays a suspect flag.
            Err(e) => {
                warn!(%provider, call_id = %record.call_id, error = %e, "could not log the retried leg")
            }
        }
    }

    /// The retry failed too: the call is over. Its failure counts, and `CallFailed` goes out
    /// here, since the call log already holds this call's failure (from the retry) and the
    /// provider's own report of it would be taken as a repeat.
    async fn count_failure(&self, provider: ProviderKind, leg: &DialedLeg, result: &LegResult) {
        let record = self.leg_record(provider, leg, result, true);
        self.track(provider, &record).await;
        let event = PublishedEvent::CallFailed {
            order_id: record.order_id.clone(),
            call_id: record.call_id.clone(),
            provider: provider.as_str(),
            direction: record.caller_side.calling_direction(),
            status: record.status.as_str(),
        };
        if let Err(e) = self.reports.publisher.publish(&event).await {
            warn!(%provider, call_id = %record.call_id, error = %e, "could not publish CallFailed for the retried call");
        }
    }

    async fn track(&self, provider: ProviderKind, record: &CallRecord) {
        let tracked = track_call_outcome(
            &self.reports.pool,
            &self.reports.publisher,
            &record.dialled,
            record.status,
            self.reports.suspect_after,
        )
        .await;
        if let Err(e) = tracked {
            warn!(%provider, error = %e, "could not count the failed leg on its number");
        }
    }

    fn leg_record(
        &self,
        provider: ProviderKind,
        leg: &DialedLeg,
        result: &LegResult,
        retried_on_backup: bool,
    ) -> CallRecord {
        CallRecord {
            order_id: leg.order_id.clone(),
            provider,
            call_id: result.call_id.clone(),
            status: result.status,
            caller_side: leg.caller_side,
            dialled: leg.dialled.clone(),
            duration_seconds: None,
            reported_at: self.clock.now(),
            retried_on_backup,
        }
    }

    /// Vonage's per-call report is its dial result (its `connect` has one event URL): a final
    /// outcome that is not retried is logged here, for the order the sealed URL names, as
    /// call-events logs a status callback. Twilio and Plivo report to the status route.
    async fn log_reported(&self, provider: ProviderKind, leg: &DialedLeg, result: &LegResult) {
        if !reports_through_dial_result(provider) || !result.status.is_final() {
            return;
        }
        let named = ReportedCall {
            order_id: leg.order_id.clone(),
            caller_side: leg.caller_side,
            dialled: leg.dialled.clone(),
        };
        let logged = self
            .reports
            .log_named(
                provider,
                named,
                result.call_id.clone(),
                result.status,
                result.duration_seconds,
            )
            .await;
        if matches!(logged, WebhookOutcome::RetryLater(_)) {
            // The call's own answer goes out regardless: the caller is on the line.
            warn!(%provider, call_id = %result.call_id, "could not log the dialled leg's report");
        }
    }

    /// The leg was busy, unanswered, cancelled, or talked and hung up: the call ends as it did.
    /// Vonage's synchronous event URL also hears the leg's progress: acknowledged, nothing more.
    fn end(&self, provider: ProviderKind, result: &LegResult) -> WebhookOutcome {
        if !result.status.is_final() {
            return WebhookOutcome::Acknowledged(serde_json::json!({"recorded": false}));
        }
        info!(%provider, call_id = %result.call_id, status = result.status.as_str(),
              "forwarded leg ended; nothing to retry");
        WebhookOutcome::Answer(render_end(provider))
    }

    fn out_of_service(&self, provider: ProviderKind, dialled: VirtualNumber) -> WebhookOutcome {
        metrics::call_answered(provider, "out_of_session");
        WebhookOutcome::Answer(providers::render(
            provider,
            &Answer::OutOfSession { dialled },
            &self.config.answer,
        ))
    }
}
