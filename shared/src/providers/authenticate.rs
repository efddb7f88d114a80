//! One entry point for "did this request really come from the provider?", run before anything
//! is read. A provider without its secret configured is refused outright (fail closed).

use chrono::{DateTime, Utc};

use super::{plivo, secret_token, twilio, vonage, AuthError, ProviderKind, WebhookRequest};
use crate::webhook_config::WebhookSecrets;

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
    match provider {
        ProviderKind::Twilio => twilio::verify(
            request,
            &needed(&secrets.twilio_auth_token, "TWILIO_AUTH_TOKEN")?,
        ),
        ProviderKind::Plivo => plivo::verify(
            request,
            &needed(&secrets.plivo_auth_token, "PLIVO_AUTH_TOKEN")?,
        ),
        // Exotel signs nothing: the secret token (plus IP allow-listing) is all there is.
        ProviderKind::Exotel => {
            secret_token::verify(request, &needed(&secrets.path_token, "WEBHOOK_PATH_TOKEN")?)
        }
        ProviderKind::Vonage => {
            secret_token::verify(request, &needed(&secrets.path_token, "WEBHOOK_PATH_TOKEN")?)?;
            if request.header("authorization").is_some() {
                let secret = needed(&secrets.vonage_signature_secret, "VONAGE_SIGNATURE_SECRET")?;
                vonage::verify_signed_jwt(request, &secret, now)?;
            }
            Ok(())
        }
    }
}
