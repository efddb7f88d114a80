//! Vonage's signed webhooks carry a JWT that verifies for [`MAX_TOKEN_AGE_SECONDS`] either side of
//! its `iat`: whoever captures a request (a proxy log, a mis-sent copy) could send it again, and
//! be answered again, for as long. Each token's `jti` is therefore claimed once, through the same
//! conditional write as `REPLAY_GUARD` (an item with a TTL), for the token's whole lifetime.
//!
//! The cost: one conditional `PutItem` (1 write unit, a few milliseconds in-region) on every
//! signed Vonage webhook, the voice call path included; Twilio, Plivo and Exotel requests and
//! unsigned Vonage deployments write nothing.

use chrono::{DateTime, Utc};

use crate::ports::{RequestId, SharedReplayGuard, StoreError};
use crate::providers::vonage::{signed_jwt_id, MAX_TOKEN_AGE_SECONDS};
use crate::providers::{AuthError, ProviderKind, WebhookRequest};
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

/// Gives a claimed token back when its request was not done (the provider retries it, maybe
/// with the same token).
pub async fn give_back(replays: &SharedReplayGuard, claimed: Option<RequestId>) {
    if let Some(token) = claimed {
        if let Err(e) = replays.forget(&token).await {
            tracing::warn!(error = %e, "could not forget a failed request's JWT id; its retry will be refused");
        }
    }
}
