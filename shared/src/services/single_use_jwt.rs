//! Vonage's signed webhooks carry a JWT that verifies for [`MAX_TOKEN_AGE_SECONDS`] either side of
//! its `iat`: whoever captures a request (a proxy log, a mis-sent copy) could send it again, and
//! be answered again, for as long. Each token's `jti` is therefore claimed once, through the same
//! conditional write as `REPLAY_GUARD` (an item with a TTL), for the token's whole lifetime.
//!
//! The cost: one conditional `PutItem` (1 write unit, a few milliseconds in-region) on every
//! signed Vonage webhook, the voice call path included; Twilio, Plivo and Exotel requests and
//! unsigned Vonage deployments write nothing.

use chrono::{DateTime, Utc};

use super::webhook_outcome::{refused, WebhookOutcome};
use crate::ports::{RequestId, SharedReplayGuard, StoreError};
use crate::providers::vonage::{signed_jwt_id, MAX_TOKEN_AGE_SECONDS};
use crate::providers::{authenticate, AuthError, ProviderKind, WebhookRequest};
use crate::webhook_config::WebhookConfig;

/// The `hook` a token id is remembered under (one namespace for every Vonage route: a token is
/// spent wherever it was used first).
pub const JWT_HOOK: &str = "vonage-jwt";
/// Longer ids are no Vonage `jti` (a UUID), and would only bloat the table's keys.
const MAX_JWT_ID_LEN: usize = 128;

/// What claiming a request's token gave.
#[derive(Debug)]
pub enum JwtClaim {
    /// First use (or nothing to claim: not Vonage, or no signature secret configured). Holds what
    /// was written, so a request whose handling failed can give its token back.
    Granted(Option<RequestId>),
    /// Used before, or a signed token without a usable id: refused like any forgery.
    Refused(AuthError),
    /// The table could not say.
    Unavailable(StoreError),
}

/// Claims the JWT of an authenticated request. Call only after `authenticate` accepted it.
pub async fn claim(
    replays: &SharedReplayGuard,
    provider: ProviderKind,
    request: &WebhookRequest,
    config: &WebhookConfig,
    now: DateTime<Utc>,
) -> JwtClaim {
    if provider != ProviderKind::Vonage || config.secrets.vonage_signature_secret.is_none() {
        return JwtClaim::Granted(None);
    }
    let Some(id) = signed_jwt_id(request).filter(|id| id.len() <= MAX_JWT_ID_LEN) else {
        return JwtClaim::Refused(AuthError::BadJwt("the JWT names no usable jti".into()));
    };
    let token = RequestId {
        hook: JWT_HOOK,
        provider,
        id,
    };
    // Accepted anywhere within MAX_TOKEN_AGE_SECONDS of its iat, so any two uses fall within
    // twice that of each other.
    let lifetime = chrono::Duration::seconds(2 * MAX_TOKEN_AGE_SECONDS);
    match replays.first_time(&token, lifetime, now).await {
        Ok(true) => JwtClaim::Granted(Some(token)),
        Ok(false) => JwtClaim::Refused(AuthError::BadJwt("the JWT was used before".into())),
        Err(e) => JwtClaim::Unavailable(e),
    }
}

/// A request the webhook may act on: authenticated, its JWT (if any) claimed.
#[must_use = "settle the outcome, so a token whose request will be retried is given back"]
#[derive(Debug)]
pub struct Admitted {
    claimed: Option<RequestId>,
}

/// Authenticates a report webhook's request and claims its JWT, as call-events and number-health
/// do before acting on anything in it. `Err` is the answer to send at once: refused (forged,
/// replayed, not configured), or `unavailable`'s answer when the table could not say whether the
/// token was used before. (The voice webhook claims only after parsing the call, so its
/// retry-later answer can name the dialled number: it calls [`claim`] itself.)
pub async fn admit(
    replays: &SharedReplayGuard,
    provider: ProviderKind,
    request: &WebhookRequest,
    config: &WebhookConfig,
    now: DateTime<Utc>,
    unavailable: impl FnOnce(StoreError) -> WebhookOutcome,
) -> Result<Admitted, WebhookOutcome> {
    if let Err(e) = authenticate(provider, request, &config.secrets, now) {
        return Err(refused(provider, &e));
    }
    match claim(replays, provider, request, config, now).await {
        JwtClaim::Granted(claimed) => Ok(Admitted { claimed }),
        JwtClaim::Refused(e) => Err(refused(provider, &e)),
        JwtClaim::Unavailable(e) => Err(unavailable(e)),
    }
}

impl Admitted {
    /// `outcome`, the answer to the admitted request; when it is to be retried the token is
    /// given back first, so the provider's retry (maybe with the same token) is not refused.
    pub async fn settle(
        self,
        replays: &SharedReplayGuard,
        outcome: WebhookOutcome,
    ) -> WebhookOutcome {
        if matches!(outcome, WebhookOutcome::RetryLater(_)) {
            give_back(replays, self.claimed).await;
        }
        outcome
    }
}

/// Gives a claimed token back when its request was not done (the provider retries it, maybe
/// with the same token).
pub async fn give_back(replays: &SharedReplayGuard, claimed: Option<RequestId>) {
    if let Some(token) = claimed {
        if let Err(e) = replays.forget(&token).await {
            tracing::warn!(error = %e, "could not forget a failed request's JWT id; its retry will be refused");
        }
    }
}
