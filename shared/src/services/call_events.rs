//! Provider status callbacks: attribute each report to its order through the binding the call
//! used, log it once per (call, status), and tell the order platform how the call went.

use tracing::{error, info, warn};

use super::caller_binding::find_binding;
use super::number_health::track_call_outcome;
use super::route_call::{may_serve, served_by};
use super::single_use_jwt::admit;
use super::webhook_outcome::{malformed, WebhookOutcome};
use crate::domain::events::PublishedEvent;
use crate::domain::number::mask;
use crate::domain::{OrderId, VirtualNumber, E164};
use crate::ports::{
    CallRecord, Recorded, SharedCallLog, SharedClock, SharedPoolStore, SharedPublisher,
    SharedReplayGuard, SharedStore, StoreError, StoredBinding,
};
use crate::privacy::CallerKeys;
use crate::providers::call_report::{reported_call, reports_per_call, ReportedCall};
use crate::providers::{self, CallStatus, ProviderKind, StatusReport, WebhookRequest};
use crate::webhook_config::WebhookConfig;

pub struct CallEvents {
    pub store: SharedStore,
    pub calls: SharedCallLog,
    pub pool: SharedPoolStore,
    /// Failed calls in a row that flag a VN suspect.
    pub suspect_after: u32,
    pub publisher: SharedPublisher,
    pub clock: SharedClock,
    /// Finds callers by number; never reads one (so call-events has no encryption key).
    pub caller_keys: CallerKeys,
    pub config: WebhookConfig,
    /// The ids of Vonage's signed JWTs, each accepted once (`single_use_jwt`).
    pub replays: SharedReplayGuard,
}

impl CallEvents {
    pub async fn status(&self, provider: ProviderKind, request: &WebhookRequest) -> WebhookOutcome {
        let unavailable = |e: StoreError| {
            error!(%provider, error = %e, "single-use JWT check unavailable; the provider will retry");
            WebhookOutcome::RetryLater(None)
        };
        let now = self.clock.now();
        let admitted = match admit(
            &self.replays,
            provider,
            request,
            &self.config,
            now,
            unavailable,
        )
        .await
        {
            Ok(admitted) => admitted,
            Err(answer) => return answer,
        };
        let outcome = self.record_status(provider, request).await;
        admitted.settle(&self.replays, outcome).await
    }

    /// An authenticated status report, its JWT (if any) claimed.
    async fn record_status(
        &self,
        provider: ProviderKind,
        request: &WebhookRequest,
    ) -> WebhookOutcome {
        let report = match providers::parse_status(provider, request) {
            Ok(report) => report,
            Err(e) => return malformed(provider, e),
        };
        // A `<Dial>`ed leg is logged under the call the voice webhook answered (both ids were
        // checked when the report was parsed).
        let call_id = report
            .parent_call_id
            .clone()
            .unwrap_or_else(|| report.call.call_id.clone());
        let acknowledged = |recorded: bool| {
            WebhookOutcome::Acknowledged(serde_json::json!({ "recorded": recorded }))
        };
        let reported = match self.whose_call(provider, request, &report).await {
            Ok(Some(reported)) => reported,
            Ok(None) => return acknowledged(false),
            Err(reply) => return reply,
        };
        let record = CallRecord {
            order_id: reported.order_id,
            provider,
            call_id,
            status: report.status,
            caller_side: reported.caller_side,
            dialled: reported.dialled,
            duration_seconds: report.duration_seconds,
            reported_at: self.clock.now(),
            retried_on_backup: false,
        };
        self.log_call(provider, record).await
    }

    /// A report of `named`'s call from a URL that named it (Vonage's dial result, served by
    /// resolve-call): logged as a status callback is, if the VN is one `provider` serves.
    pub async fn log_named(
        &self,
        provider: ProviderKind,
        named: ReportedCall,
        call_id: String,
        status: CallStatus,
        duration_seconds: Option<u32>,
    ) -> WebhookOutcome {
        let reported = match self.owned_report(provider, named).await {
            Ok(Some(reported)) => reported,
            Ok(None) => {
                return WebhookOutcome::Acknowledged(serde_json::json!({"recorded": false}))
            }
            Err(reply) => return reply,
        };
        let record = CallRecord {
            order_id: reported.order_id,
            provider,
            call_id,
            status,
            caller_side: reported.caller_side,
            dialled: reported.dialled,
            duration_seconds,
            reported_at: self.clock.now(),
            retried_on_backup: false,
        };
        self.log_call(provider, record).await
    }

    /// Logs `record` once per (provider, call, status), counts its outcome on its number, and
    /// publishes `CallCompleted` / `CallFailed` once for a final status.
    async fn log_call(&self, provider: ProviderKind, record: CallRecord) -> WebhookOutcome {
        let acknowledged = |recorded: bool| {
            WebhookOutcome::Acknowledged(serde_json::json!({ "recorded": recorded }))
        };
        let needs_event = record.status.is_final();
        let should_publish = match self.calls.record_call(&record, !needs_event).await {
            Ok(Recorded::New) => {
                let tracked = track_call_outcome(
                    &self.pool,
                    &self.publisher,
                    &record.dialled,
                    record.status,
                    self.suspect_after,
                )
                .await;
                if let Err(e) = tracked {
                    // The call itself is logged; losing one count only delays a suspect flag.
                    warn!(%provider, error = %e, "could not count the call outcome on its number");
                }
                needs_event
            }
            Ok(Recorded::Duplicate { announced }) => !announced,
            Err(e) => return unavailable(provider, e),
        };
        if should_publish {
            if let Err(e) = self.publisher.publish(&call_event(&record)).await {
                // 5xx: the provider retries the callback and the event goes out then.
                return unavailable(provider, e);
            }
            if let Err(e) = self.calls.mark_announced(&record).await {
                warn!(%provider, call_id = %record.call_id, error = %e, "could not mark the call event as sent; a retry may send it again");
            }
        }
        info!(%provider, call_id = %record.call_id, order_id = %record.order_id,
              status = record.status.as_str(), "call status recorded");
        acknowledged(true)
    }

    /// Whose call a report is about: named by its per-call report URL where the provider supports
    /// one (`providers::call_report`), else found through the binding the call used. `Ok(None)`:
    /// nobody's (acknowledged, not recorded); `Err`: the reply to send at once.
    async fn whose_call(
        &self,
        provider: ProviderKind,
        request: &WebhookRequest,
        report: &StatusReport,
    ) -> Result<Option<ReportedCall>, WebhookOutcome> {
        let query = request.query_params();
        if reports_per_call(provider) {
            match reported_call(&query) {
                Some(Ok(named)) => return self.owned_report(provider, named).await,
                Some(Err(e)) => return Err(malformed(provider, e)),
                None => {}
            }
        }
        let (leg, ours) = providers::CLICK_TO_CALL_LEG;
        let bridge_leg = query.iter().any(|(k, v)| k == leg && v == ours);
        if reports_per_call(provider)
            && !bridge_leg
            && report.direction.as_deref() == Some("inbound")
        {
            // The number's own callback about the caller's leg: every connected call's answer
            // named a per-call URL, whose report (of the dialled leg) is the call's outcome.
            // (A call id is never phone-like: `providers::parse_status` refuses one that is.)
            info!(%provider, call_id = %report.call.call_id, "first leg's status; the dialled leg's per-call report is the outcome");
            return Ok(None);
        }
        let country = self.config.default_country;
        let Ok(dialled) = VirtualNumber::parse(&report.call.to, country) else {
            return Err(malformed(
                provider,
                "the dialled number is not a phone number",
            ));
        };
        let Ok(caller) = E164::parse(&report.call.from, country) else {
            info!(%provider, call_id = %report.call.call_id, "status about a withheld or unparsable calling number; not recorded");
            return Ok(None);
        };
        // The binding identifies the order even shortly after it expired (TTL keeps it a day).
        match self
            .attribute(provider, &dialled, &caller, &report.call.to, bridge_leg)
            .await
        {
            Ok(Some((binding, dialled))) => Ok(Some(ReportedCall {
                order_id: binding.order_id,
                caller_side: binding.caller_side,
                dialled,
            })),
            Ok(None) => {
                // Masked: for a call we did not place, `To` may be someone's own phone.
                let dialled = mask(dialled.as_str());
                info!(%provider, call_id = %report.call.call_id, %dialled, "status for a call outside any session; not recorded");
                Ok(None)
            }
            Err(e) => Err(unavailable(provider, e)),
        }
    }

    /// A per-call report names its order, side and VN in a URL the provider signed; it speaks
    /// for that order only if the VN is one this provider serves (the voice route's rule): a
    /// provider's token must not log calls, fail numbers or open click-to-call on an order of
    /// another provider. A read of the pool, not a write: the call path is not involved.
    async fn owned_report(
        &self,
        provider: ProviderKind,
        named: ReportedCall,
    ) -> Result<Option<ReportedCall>, WebhookOutcome> {
        match self.pool.pool_number(&named.dialled).await {
            Ok(Some(number)) if may_serve(&number.provider, provider) => Ok(Some(named)),
            Ok(_) => {
                warn!(%provider, order_id = %named.order_id, vn = %named.dialled,
                      "per-call report about a number this provider does not serve; not recorded");
                Ok(None)
            }
            Err(e) => Err(unavailable(provider, e)),
        }
    }

    /// The binding a reported call used, and the VN it went through. An inbound call dialled the
    /// VN (`to`) from the party's phone (`from`); a click-to-call leg is the reverse, placed from
    /// the VN to the party who asked for it, whose binding on that VN names the order.
    /// Only a binding of a VN the reporting provider may serve counts (see [`served_by`]): a
    /// forged report about another provider's number must not flag it suspect.
    async fn attribute(
        &self,
        provider: ProviderKind,
        dialled: &VirtualNumber,
        caller: &E164,
        raw_to: &str,
        bridge_leg: bool,
    ) -> Result<Option<(StoredBinding, VirtualNumber)>, StoreError> {
        // A report may come after the session ended: any binding found names the order.
        let any = |_: &StoredBinding| true;
        let store = self.store.as_ref();
        // Only a leg Maskline placed comes from a VN, and its `to` is a party's phone: looking
        // that up as a dialled VN would read `VN#<their number>`, a real number in a table key.
        // Any other report dialled a VN from a person's phone.
        if !bridge_leg {
            let found = find_binding(store, &self.caller_keys, dialled, caller, any).await?;
            return Ok(found
                .filter(|binding| served_by(binding, provider))
                .map(|binding| (binding, dialled.clone())));
        }
        let country = self.config.default_country;
        let (Ok(from_vn), Ok(callee)) = (
            VirtualNumber::parse(caller.expose(), None),
            E164::parse(raw_to, country),
        ) else {
            return Ok(None);
        };
        let binding = find_binding(store, &self.caller_keys, &from_vn, &callee, any).await?;
        Ok(binding
            .filter(|b| served_by(b, provider))
            .map(|b| (b, from_vn)))
    }

    /// The call log of an order; `None` when the order is unknown.
    pub async fn log(&self, order_id: &OrderId) -> Result<Option<Vec<CallRecord>>, StoreError> {
        if self.store.load_session(order_id).await?.is_none() {
            return Ok(None);
        }
        self.calls.call_log(order_id).await.map(Some)
    }
}

fn call_event(record: &CallRecord) -> PublishedEvent {
    let direction = record.caller_side.calling_direction();
    if record.status.is_failure() {
        PublishedEvent::CallFailed {
            order_id: record.order_id.clone(),
            call_id: record.call_id.clone(),
            provider: record.provider.as_str(),
            direction,
            status: record.status.as_str(),
        }
    } else {
        PublishedEvent::CallCompleted {
            order_id: record.order_id.clone(),
            call_id: record.call_id.clone(),
            provider: record.provider.as_str(),
            direction,
            duration_seconds: record.duration_seconds,
        }
    }
}

fn unavailable(provider: ProviderKind, e: impl std::fmt::Display) -> WebhookOutcome {
    error!(%provider, error = %e, "status callback could not be processed");
    WebhookOutcome::RetryLater(None)
}
