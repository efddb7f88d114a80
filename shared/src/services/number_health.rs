//! What providers tell us about our numbers: the `number-health` webhook (a VN went bad or
//! recovered) and the run of failed calls on each VN that flags it suspect.
//!
//! The webhook is Maskline's own contract — providers alert on number problems in different
//! ways (status pages, support tickets, event streams) — but it is authenticated exactly like
//! the provider's call webhooks, so the alert forwarder signs it with the provider's secret.
//! Parameters (form, query or JSON): `number` (the VN), `status` (`unhealthy` | `healthy`),
//! `report_id` (unique per report, at most 128 characters) and `reported_at` (when the forwarder
//! made it: RFC 3339 or Unix seconds). A report seen before is acknowledged and not acted on
//! again; one made more than a week ago (as long as ids are remembered) is refused by its time:
//! so a captured report replayed later, however much later, cannot flip a number.

use std::sync::Arc;

use serde_json::json;
use tracing::{error, info, warn};

use super::failover::{Failover, FailoverError};
use super::single_use_jwt::admit;
use super::webhook_outcome::{malformed, WebhookOutcome};
use crate::domain::events::PublishedEvent;
use crate::domain::number::mask;
use crate::domain::VirtualNumber;
use crate::ports::{
    RequestId, SharedClock, SharedPoolStore, SharedPublisher, SharedReplayGuard, StoreError,
};
use crate::providers::request::required;
use crate::providers::{self, CallStatus, ProviderKind, WebhookRequest};
use crate::webhook_config::WebhookConfig;

pub struct NumberHealth {
    pub failover: Arc<Failover>,
    pub replays: SharedReplayGuard,
    pub clock: SharedClock,
    pub config: WebhookConfig,
}

/// How long a report id is remembered: longer than any provider retries a report.
const REPORT_ID_KEPT_DAYS: i64 = 7;
/// How far a report's `reported_at` may run ahead of our clock (the forwarder's clock skew).
const REPORT_CLOCK_SKEW_MINUTES: i64 = 5;
const MAX_REPORT_ID_LEN: usize = 128;

impl NumberHealth {
    /// `POST /webhooks/{provider}/number-health`.
    pub async fn report(&self, provider: ProviderKind, request: &WebhookRequest) -> WebhookOutcome {
        let now = self.clock.now();
        let admitted = match admit(&self.replays, provider, request, &self.config, now, |e| {
            unavailable(provider, e)
        })
        .await
        {
            Ok(admitted) => admitted,
            Err(answer) => return answer,
        };
        let outcome = self.authenticated_report(provider, request).await;
        admitted.settle(&self.replays, outcome).await
    }

    /// An authenticated report, its JWT (if any) claimed.
    async fn authenticated_report(
        &self,
        provider: ProviderKind,
        request: &WebhookRequest,
    ) -> WebhookOutcome {
        let params = match providers::signed_params(provider, request) {
            Ok(params) => params,
            Err(e) => return malformed(provider, e),
        };
        let (raw_number, raw_status, report_id) = match (
            required(&params, "number"),
            required(&params, "status"),
            required(&params, "report_id"),
        ) {
            (Ok(n), Ok(s), Ok(r)) => (n, s, r),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return malformed(provider, e),
        };
        if report_id.len() > MAX_REPORT_ID_LEN {
            return malformed(provider, "report_id is longer than 128 characters");
        }
        // Its id is remembered only for a week: an older report is refused by its time, so a
        // captured one replayed once its id is forgotten does nothing either.
        let reported_at = required(&params, "reported_at").map_err(|e| e.to_string());
        if let Err(reason) = reported_at.and_then(|at| within_window(at, self.clock.now())) {
            return malformed(provider, reason);
        }
        let Ok(vn) = VirtualNumber::parse(raw_number, self.config.default_country) else {
            return malformed(provider, "number is not a phone number");
        };
        let healthy = match raw_status.to_ascii_lowercase().as_str() {
            "unhealthy" | "down" | "degraded" => false,
            "healthy" | "up" | "ok" => true,
            _ => return malformed(provider, "status must be unhealthy or healthy"),
        };
        match self.failover.pool.pool_number(&vn).await {
            Ok(Some(number)) if number.provider.as_str() == provider.as_str() => {}
            // Another provider's number, or not ours: the sender cannot speak for it.
            Ok(_) => {
                // Not a number of ours: it may be anyone's phone, so it is masked.
                let number = mask(vn.as_str());
                warn!(%provider, %number, "health report about a number this provider does not serve");
                return WebhookOutcome::NotOurs;
            }
            Err(e) => return unavailable(provider, e),
        }
        let request = RequestId {
            hook: "number-health",
            provider,
            id: report_id.to_string(),
        };
        // Past the window by the skew, so no report accepted by its time outlives its id.
        let keep = chrono::Duration::days(REPORT_ID_KEPT_DAYS)
            + chrono::Duration::minutes(2 * REPORT_CLOCK_SKEW_MINUTES);
        match self
            .replays
            .first_time(&request, keep, self.clock.now())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                warn!(%provider, %vn, "number-health report already received; not acted on again");
                return WebhookOutcome::Acknowledged(json!({"number": vn, "duplicate": true}));
            }
            Err(e) => return unavailable(provider, e),
        }
        let outcome = self.apply(provider, &vn, healthy).await;
        if matches!(outcome, WebhookOutcome::RetryLater(_)) {
            // Not done: the provider's retry of this very report must be let through.
            if let Err(e) = self.replays.forget(&request).await {
                warn!(%provider, error = %e, "could not forget a failed report's id; its retry will be ignored");
            }
        }
        outcome
    }

    async fn apply(
        &self,
        provider: ProviderKind,
        vn: &VirtualNumber,
        healthy: bool,
    ) -> WebhookOutcome {
        let vn = vn.clone();
        if healthy {
            return match self.failover.mark_healthy(&vn).await {
                Ok(_) => WebhookOutcome::Acknowledged(json!({"number": vn, "health": "healthy"})),
                Err(e) => failover_failed(provider, e),
            };
        }
        // Each move is announced from the table's stream once it commits: nothing is left for a
        // retry of the report to announce.
        match self.failover.mark_unhealthy(&vn).await {
            Ok(report) => WebhookOutcome::Acknowledged(json!({"number": vn, "health": "unhealthy",
                       "moved": report.moved.len(), "stranded": report.stranded.len()})),
            Err(e) => failover_failed(provider, e),
        }
    }
}

/// Counts a final call status on the dialled VN and flags the VN suspect once `threshold`
/// calls in a row failed to be placed. Only `failed` counts: busy and no-answer are the callee's
/// doing and say nothing about the number.
pub async fn track_call_outcome(
    pool: &SharedPoolStore,
    publisher: &SharedPublisher,
    dialled: &VirtualNumber,
    status: CallStatus,
    threshold: u32,
) -> Result<(), StoreError> {
    let failed = match status {
        CallStatus::Failed => true,
        CallStatus::Completed => false,
        _ => return Ok(()),
    };
    let run = pool.record_call_outcome(dialled, failed).await?;
    if !failed || run < threshold || !pool.mark_suspect(dialled).await? {
        return Ok(());
    }
    let Some(number) = pool.pool_number(dialled).await? else {
        return Ok(());
    };
    warn!(vn = %dialled, consecutive_failures = run, "number suspect");
    let event = PublishedEvent::NumberSuspect {
        vn: dialled.clone(),
        region: number.region,
        operator: number.operator,
        consecutive_failures: run,
    };
    if let Err(e) = publisher.publish(&event).await {
        // The flag is set and shows in `maskctl pool list`; only the notification is lost.
        error!(error = %e, "could not publish NumberSuspect");
    }
    Ok(())
}

fn failover_failed(provider: ProviderKind, e: FailoverError) -> WebhookOutcome {
    match e {
        FailoverError::UnknownNumber(_) => WebhookOutcome::NotOurs,
        other => unavailable(provider, other),
    }
}

/// `reported_at` (RFC 3339, or Unix seconds) is within the week report ids are remembered, and
/// not ahead of `now` by more than the skew allowed.
fn within_window(raw: &str, now: chrono::DateTime<chrono::Utc>) -> Result<(), String> {
    let at = match raw.trim().parse::<i64>() {
        Ok(seconds) => chrono::DateTime::from_timestamp(seconds, 0),
        Err(_) => chrono::DateTime::parse_from_rfc3339(raw.trim())
            .ok()
            .map(|at| at.with_timezone(&chrono::Utc)),
    }
    .ok_or("reported_at is neither RFC 3339 nor Unix seconds")?;
    if at > now + chrono::Duration::minutes(REPORT_CLOCK_SKEW_MINUTES) {
        return Err("reported_at is in the future".into());
    }
    if at < now - chrono::Duration::days(REPORT_ID_KEPT_DAYS) {
        return Err(format!(
            "reported_at is older than {REPORT_ID_KEPT_DAYS} days: a replay, or too late to act on"
        ));
    }
    Ok(())
}

fn unavailable(provider: ProviderKind, e: impl std::fmt::Display) -> WebhookOutcome {
    error!(%provider, error = %e, "number health report could not be processed");
    info!("the provider will retry; a repeated report is safe");
    WebhookOutcome::RetryLater(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_taken_only_within_the_week_its_id_is_remembered() {
        let now = chrono::Utc::now();
        let at = |delta: chrono::Duration| (now + delta).to_rfc3339();
        assert!(within_window(&at(chrono::Duration::zero()), now).is_ok());
        assert!(within_window(&at(chrono::Duration::days(-6)), now).is_ok());
        assert!(within_window(&(now.timestamp() - 60).to_string(), now).is_ok());
        assert!(
            within_window(&at(chrono::Duration::minutes(4)), now).is_ok(),
            "clock skew"
        );
        let old = within_window(&at(chrono::Duration::days(-8)), now).unwrap_err();
        assert!(old.contains("older than 7 days"), "{old}");
        assert!(within_window(&at(chrono::Duration::hours(1)), now).is_err());
        assert!(within_window("yesterday", now).is_err());
    }
}
