//! One entry point for "did this request really come from the provider?", run before anything
//! is read. A provider without its secret configured is refused outright (fail closed).

use chrono::{DateTime, Utc};

use super::secret_list::verify_any;
use super::WebhookSecrets;
use super::{plivo, secret_token, twilio, vonage, AuthError, ProviderKind, WebhookRequest};

pub fn authenticate(
    provider: ProviderKind,
    request: &WebhookRequest,
    secrets: &WebhookSecrets,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    // Each secret may list several, current first (see `secret_list`): any of them verifies. A
    // secret that is unset, or set but listing no secret (`","`, `"-,"`), is not configured: the
    // provider's every request is refused.
    let verify = |secret: &Option<String>,
                  name: &'static str,
                  check: &dyn Fn(&str) -> Result<(), AuthError>| {
        let unconfigured = AuthError::NotConfigured(name, provider);
        match secret {
            Some(list) => verify_any(list, unconfigured, check),
            None => Err(unconfigured),
        }
    };
    match provider {
        ProviderKind::Twilio => verify(&secrets.twilio_auth_token, "TWILIO_AUTH_TOKEN", &|t| {
            twilio::verify(request, t)
        }),
        ProviderKind::Plivo => verify(&secrets.plivo_auth_token, "PLIVO_AUTH_TOKEN", &|t| {
            plivo::verify(request, t)
        }),
        // Exotel signs nothing: the secret token (plus IP allow-listing) is all there is.
        ProviderKind::Exotel => verify(&secrets.exotel_token, "EXOTEL_WEBHOOK_TOKEN", &|t| {
            secret_token::verify(request, t)
        }),
        // The token always; with a signature secret set, Vonage's signed JWT too: a request that
        // simply leaves the Authorization header out is refused, not let through, and a secret
        // set to nothing refuses everything rather than dropping the JWT check.
        ProviderKind::Vonage => {
            verify(&secrets.vonage_token, "VONAGE_WEBHOOK_TOKEN", &|t| {
                secret_token::verify(request, t)
            })?;
            if secrets.vonage_signature_secret.is_none() {
                return Ok(());
            }
            verify(
                &secrets.vonage_signature_secret,
                "VONAGE_SIGNATURE_SECRET",
                &|secret| vonage::verify_signed_jwt(request, secret, now),
            )
        }
    }
}
