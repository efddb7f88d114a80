//! What providers tell us about our numbers: the `number-health` webhook (a VN went bad or
//! recovered) and the run of failed calls on each VN that flags it suspect.
//!
//! The webhook is Maskline's own contract — providers alert on number problems in different
//! ways (status pages, support tickets, event streams) — but it is authenticated exactly like
//! the provider's call webhooks, so the alert forwarder signs it with the provider's secret.
//! Parameters (form, query or JSON): `number` (the VN) and `status` (`unhealthy` | `healthy`).

use std::sync::Arc;

use serde_json::json;
use tracing::{error, info, warn};

use super::failover::{Failover, FailoverError};
use super::resolve_call::{bad_request, refused};
use crate::domain::events::PublishedEvent;
use crate::domain::number::mask;
use crate::domain::VirtualNumber;
use crate::ports::{SharedClock, SharedPoolStore, SharedPublisher, StoreError};
use crate::providers::request::required;
use crate::providers::{authenticate, CallStatus, ProviderKind, WebhookReply, WebhookRequest};
use crate::webhook_config::WebhookConfig;

pub struct NumberHealth {
    pub failover: Arc<Failover>,
    pub clock: SharedClock,
    pub config: WebhookConfig,
}

impl NumberHealth {
    /// `POST /webhooks/{provider}/number-health`.
    pub async fn report(&self, provider: ProviderKind, request: &WebhookRequest) -> WebhookReply {
        if let Err(e) = authenticate(provider, request, &self.config.secrets, self.clock.now()) {
            return refused(provider, &e);
        }
        let params = match request.all_params() {
            Ok(params) => params,
            Err(e) => return bad_request(provider, e),
        };
        let (raw_number, raw_status) =
            match (required(&params, "number"), required(&params, "status")) {
                (Ok(n), Ok(s)) => (n, s),
                (Err(e), _) | (_, Err(e)) => return bad_request(provider, e),
            };
        let Ok(vn) = VirtualNumber::parse(raw_number, self.config.default_country) else {
            return bad_request(provider, "number is not a phone number");
        };
        let healthy = match raw_status.to_ascii_lowercase().as_str() {
            "unhealthy" | "down" | "degraded" => false,
            "healthy" | "up" | "ok" => true,
            _ => return bad_request(provider, "status must be unhealthy or healthy"),
        };
        match self.failover.pool.pool_number(&vn).await {
            Ok(Some(number)) if number.provider.as_str() == provider.as_str() => {}
            // Another provider's number, or not ours: the sender cannot speak for it.
            Ok(_) => {
                // Not a number of ours: it may be anyone's phone, so it is masked.
                let number = mask(vn.as_str());
                warn!(%provider, %number, "health report about a number this provider does not serve");
                return WebhookReply::json(404, json!({"error": "not a number of this provider"}));
            }
            Err(e) => return unavailable(provider, e),
        }
        if healthy {
            return match self.failover.mark_healthy(&vn).await {
                Ok(_) => WebhookReply::json(200, json!({"number": vn, "health": "healthy"})),
                Err(e) => failover_failed(provider, e),
            };
        }
        match self.failover.mark_unhealthy(&vn).await {
            Ok(report) => WebhookReply::json(
                200,
                json!({"number": vn, "health": "unhealthy",
                       "moved": report.moved.len(), "stranded": report.stranded.len()}),
            ),
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

fn failover_failed(provider: ProviderKind, e: FailoverError) -> WebhookReply {
    match e {
        FailoverError::UnknownNumber(_) => {
            WebhookReply::json(404, json!({"error": "not a number of this provider"}))
        }
        other => unavailable(provider, other),
    }
}

fn unavailable(provider: ProviderKind, e: impl std::fmt::Display) -> WebhookReply {
    error!(%provider, error = %e, "number health report could not be processed");
    info!("the provider will retry; a repeated report is safe");
    WebhookReply::json(503, json!({"error": "temporarily unavailable"}))
}
