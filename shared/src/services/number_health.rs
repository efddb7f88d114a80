//! What providers tell us about our numbers: the `number-health` webhook (a VN went bad or
//! recovered) and the run of failed calls on each VN that flags it suspect.
//!
//! The webhook is Maskline's own contract — providers alert on number problems in different
//! ways (status pages, support tickets, event streams) — but it is authenticated exactly like
//! the provider's call webhooks, so the alert forwarder signs it with the provider's secret.
//! Parameters (form, query or JSON): `number` (the VN), `status` (`unhealthy` | `healthy`) and
//! `report_id` (unique per report, at most 128 characters): a report seen before is acknowledged
//! and not acted on again, so a captured report replayed later cannot flip a number.

use std::sync::Arc;

use serde_json::json;
use tracing::{error, info, warn};

use super::failover::{Failover, FailoverError};
use super::webhook_outcome::{malformed, refused, WebhookOutcome};
use crate::domain::events::PublishedEvent;
use crate::domain::number::mask;
use crate::domain::VirtualNumber;
use crate::ports::{
    RequestId, SharedClock, SharedPoolStore, SharedPublisher, SharedReplayGuard, StoreError,
};
use crate::providers::request::required;
use crate::providers::{self, authenticate, CallStatus, ProviderKind, WebhookRequest};
use crate::webhook_config::WebhookConfig;

pub struct NumberHealth {
    pub failover: Arc<Failover>,
    pub replays: SharedReplayGuard,
    pub clock: SharedClock,
    pub config: WebhookConfig,
}

/// How long a report id is remembered: longer than any provider retries a report.
const REPORT_ID_KEPT_DAYS: i64 = 7;
const MAX_REPORT_ID_LEN: usize = 128;

impl NumberHealth {
    /// `POST /webhooks/{provider}/number-health`.
    pub async fn report(&self, provider: ProviderKind, request: &WebhookRequest) -> WebhookOutcome {
        if let Err(e) = authenticate(provider, request, &self.config.secrets, self.clock.now()) {
            return refused(provider, &e);
        }
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
        let keep = chrono::Duration::days(REPORT_ID_KEPT_DAYS);
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

fn unavailable(provider: ProviderKind, e: impl std::fmt::Display) -> WebhookOutcome {
    error!(%provider, error = %e, "number health report could not be processed");
    info!("the provider will retry; a repeated report is safe");
    WebhookOutcome::RetryLater(None)
}
