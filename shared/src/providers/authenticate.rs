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
    let needed = |secret: &Option<String>, name: &'static str| {
        secret
            .clone()
            .ok_or(AuthError::NotConfigured(name, provider))
    };
    // Each secret may list several, current first (see `secret_list`): any of them verifies.
    match provider {
        ProviderKind::Twilio => verify_any(
            &needed(&secrets.twilio_auth_token, "TWILIO_AUTH_TOKEN")?,
            |token| twilio::verify(request, token),
        ),
        ProviderKind::Plivo => verify_any(
            &needed(&secrets.plivo_auth_token, "PLIVO_AUTH_TOKEN")?,
            |token| plivo::verify(request, token),
        ),
        // Exotel signs nothing: the secret token (plus IP allow-listing) is all there is.
        ProviderKind::Exotel => verify_any(
            &needed(&secrets.exotel_token, "EXOTEL_WEBHOOK_TOKEN")?,
            |token| secret_token::verify(request, token),
        ),
        // The token always; with a signature secret configured, Vonage's signed JWT too: a
        // request that simply leaves the Authorization header out is refused, not let through.
        ProviderKind::Vonage => {
            verify_any(
                &needed(&secrets.vonage_token, "VONAGE_WEBHOOK_TOKEN")?,
                |token| secret_token::verify(request, token),
            )?;
            match &secrets.vonage_signature_secret {
                Some(secret) => verify_any(secret, |secret| {
                    vonage::verify_signed_jwt(request, secret, now)
                }),
                None => Ok(()),
            }
        }
    }
}
