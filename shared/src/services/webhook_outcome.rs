//! What a webhook use case decided, in its own terms. The HTTP adapter
//! (`adapters::http::webhook_reply`) turns each outcome into a status code and body; the use cases
//! never pick a status code themselves.

use serde_json::Value;
use tracing::{error, warn};

use crate::metrics;
use crate::providers::{AuthError, ProviderKind, Rendered};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The provider's own answer document (TwiML, NCCO, ...): what the call does next.
    Answer(Rendered),
    /// A report was taken (or knowingly left alone); what happened, for the provider's logs.
    Acknowledged(Value),
    /// Not from the provider, or the provider is not configured. Says nothing of why.
    Refused,
    /// From the provider but unusable; the reason names the field, never a value.
    Malformed(String),
    /// About a number this provider does not serve here.
    NotOurs,
    /// Not done now; the provider's retry is safe. Optional figures say how far it got.
    RetryLater(Option<Value>),
}

/// A request that failed authentication: why goes to the log, nothing into the reply; it is
/// counted per provider (`WebhookRefusals`), so a forgery campaign or a rotation that missed a
/// provider shows and alarms.
pub(crate) fn refused(provider: ProviderKind, err: &AuthError) -> WebhookOutcome {
    metrics::webhook_refused(provider);
    match err {
        AuthError::NotConfigured(setting, _) => {
            error!(%provider, setting, "webhook secret not configured; refusing the request")
        }
        other => warn!(%provider, reason = %other, "webhook refused"),
    }
    WebhookOutcome::Refused
}

/// An authentic but unusable request.
pub(crate) fn malformed(provider: ProviderKind, reason: impl std::fmt::Display) -> WebhookOutcome {
    warn!(%provider, %reason, "malformed webhook");
    WebhookOutcome::Malformed(reason.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_refusal_is_counted_for_its_provider() {
        let docs = metrics::render(chrono::Utc::now(), || {
            refused(ProviderKind::Twilio, &AuthError::BadSignature);
            refused(ProviderKind::Twilio, &AuthError::BadToken);
            refused(ProviderKind::Exotel, &AuthError::BadToken);
        });
        let counts: Vec<(&Value, &Value)> = docs
            .iter()
            .filter(|doc| !doc["WebhookRefusals"].is_null())
            .map(|doc| (&doc["Provider"], &doc["WebhookRefusals"]))
            .collect();
        assert_eq!(
            counts,
            [(&json!("exotel"), &json!(1)), (&json!("twilio"), &json!(2))]
        );
    }
}
