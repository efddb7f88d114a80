//! The callee's whisper: a URL the provider fetches when the callee answers, before it bridges
//! the call, whose answer is played to the callee alone. Twilio's `<Number url>`, Plivo's
//! `<Dial confirmSound>`, Vonage's connect endpoint `onAnswer`. Exotel takes the text inside its
//! Connect answer (`start_call_playback`) and fetches nothing, so it has no whisper route.
//!
//! The URL names the order and the callee's side, never a phone number, and the route reads
//! nothing: the text comes from the settings. Its authentication is the provider's own, as on
//! every webhook: Twilio and Plivo sign the URL they fetch, query included. Vonage's signed JWT
//! covers a body, not the URL (and a GET has no body), so with `VONAGE_SIGNATURE_SECRET` set
//! Maskline seals the order and side in the URL itself (HMAC-SHA256 with that secret), beside the
//! path token every Vonage route carries.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::answer::Rendered;
use super::request::{param, HttpMethod, WebhookRequest};
use super::secret_list::{current, verify_any};
use super::secret_token::{self, TOKEN_PARAM};
use super::xml::escape;
use super::{authenticate, AuthError, BadRequest, ProviderKind, WebhookSecrets};
use crate::domain::{OrderId, Side};

/// The hook name: `/webhooks/{provider}/whisper`.
pub const HOOK: &str = "whisper";
const ORDER: &str = "order";
const CALLEE: &str = "callee";
const SEAL: &str = "seal";

/// Whether `provider` fetches the callee's message from a URL (all but Exotel).
pub fn fetched_by(provider: ProviderKind) -> bool {
    provider != ProviderKind::Exotel
}

/// The methods each provider fetches its whisper with: Twilio `<Number method>` (POST, as
/// answered), Plivo's `confirmSound` (POST), Vonage's `onAnswer` (no method is documented, so
/// both).
pub fn methods(provider: ProviderKind) -> &'static [HttpMethod] {
    match provider {
        ProviderKind::Twilio | ProviderKind::Plivo => &[HttpMethod::Post],
        ProviderKind::Vonage => &[HttpMethod::Get, HttpMethod::Post],
        ProviderKind::Exotel => &[],
    }
}

/// Whose whisper: the order and the side being called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whisper {
    pub order_id: OrderId,
    pub callee: Side,
}

fn seal(secret: &str, whisper: &Whisper) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{}\n{}", whisper.order_id.as_str(), whisper.callee.as_str()).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The URL `provider` fetches for `whisper` from `route`. Vonage's carries the path token and,
/// with a signature secret, the seal (made with the current secret of each list).
pub fn url(
    route: &str,
    provider: ProviderKind,
    whisper: &Whisper,
    secrets: &WebhookSecrets,
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair(ORDER, whisper.order_id.as_str())
        .append_pair(CALLEE, whisper.callee.as_str());
    if provider == ProviderKind::Vonage {
        if let Some(secret) = &secrets.vonage_signature_secret {
            query.append_pair(SEAL, &seal(current(secret), whisper));
        }
        if let Some(token) = &secrets.vonage_token {
            query.append_pair(TOKEN_PARAM, current(token));
        }
    }
    format!("{route}?{}", query.finish())
}

/// The whisper a request names (its query), refused when unreadable.
pub fn parse(request: &WebhookRequest) -> Result<Whisper, BadRequest> {
    let query = request.query_params();
    let order_id = param(&query, ORDER)
        .and_then(|o| OrderId::parse(o).ok())
        .ok_or(BadRequest::Invalid(ORDER))?;
    let callee = param(&query, CALLEE)
        .and_then(Side::parse)
        .ok_or(BadRequest::Invalid(CALLEE))?;
    Ok(Whisper { order_id, callee })
}

/// Whether the whisper request came from the provider. Twilio and Plivo: their signature over
/// the URL, as every webhook of theirs. Vonage: the path token, and with a signature secret the
/// seal over what the route acts on (any listed secret verifies, for rotation).
pub fn authenticate_whisper(
    provider: ProviderKind,
    request: &WebhookRequest,
    secrets: &WebhookSecrets,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    match provider {
        ProviderKind::Vonage => {
            let token = secrets
                .vonage_token
                .as_deref()
                .ok_or(AuthError::NotConfigured("VONAGE_WEBHOOK_TOKEN", provider))?;
            verify_any(
                token,
                AuthError::NotConfigured("VONAGE_WEBHOOK_TOKEN", provider),
                |t| secret_token::verify(request, t),
            )?;
            let Some(secrets) = &secrets.vonage_signature_secret else {
                return Ok(());
            };
            let whisper = parse(request).map_err(|_| AuthError::BadSignature)?;
            let presented = param(&request.query_params(), SEAL)
                .map(str::to_string)
                .ok_or(AuthError::MissingSignature("seal"))?;
            verify_any(
                secrets,
                AuthError::NotConfigured("VONAGE_SIGNATURE_SECRET", provider),
                |secret| {
                    let expected = seal(secret, &whisper);
                    if bool::from(expected.as_bytes().ct_eq(presented.as_bytes())) {
                        Ok(())
                    } else {
                        Err(AuthError::BadSignature)
                    }
                },
            )
        }
        _ => authenticate(provider, request, secrets, now),
    }
}

/// The whisper's answer: `text` spoken to the callee, after which the provider bridges; `None`
/// says nothing (the provider bridges at once).
pub fn render(provider: ProviderKind, text: Option<&str>) -> Rendered {
    match provider {
        ProviderKind::Twilio => Rendered {
            content_type: "text/xml",
            body: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>{}</Response>",
                text.map_or(String::new(), |t| format!("<Say>{}</Say>", escape(t)))
            ),
        },
        ProviderKind::Plivo => Rendered {
            content_type: "application/xml",
            body: format!(
                "<Response>{}</Response>",
                text.map_or(String::new(), |t| format!("<Speak>{}</Speak>", escape(t)))
            ),
        },
        ProviderKind::Vonage => Rendered {
            content_type: "application/json",
            body: serde_json::Value::Array(
                text.map(|t| serde_json::json!({"action": "talk", "text": t}))
                    .into_iter()
                    .collect(),
            )
            .to_string(),
        },
        // Exotel plays the text from its Connect answer and fetches nothing; its playback shape.
        ProviderKind::Exotel => Rendered {
            content_type: "application/json",
            body: serde_json::json!({"start_call_playback": {
                "playback_to": "callee", "type": "text", "value": text.unwrap_or_default()}})
            .to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::public_url::route_beside;

    fn whisper() -> Whisper {
        Whisper {
            order_id: OrderId::parse("ORD-4821").unwrap(),
            callee: Side::Driver,
        }
    }

    fn get(url: String) -> WebhookRequest {
        WebhookRequest {
            method: HttpMethod::Get,
            url,
            headers: Default::default(),
            body: Vec::new(),
        }
    }

    fn vonage_secrets(signature: &str) -> WebhookSecrets {
        WebhookSecrets {
            vonage_token: Some("tok".into()),
            vonage_signature_secret: Some(signature.into()),
            ..WebhookSecrets::default()
        }
    }

    #[test]
    fn the_url_names_order_and_side_and_reads_back() {
        let route = route_beside("https://x/prod/webhooks/twilio/voice?a=1", HOOK).unwrap();
        let url = url(
            &route,
            ProviderKind::Twilio,
            &whisper(),
            &WebhookSecrets::default(),
        );
        assert_eq!(
            url,
            "https://x/prod/webhooks/twilio/whisper?order=ORD-4821&callee=driver"
        );
        assert_eq!(parse(&get(url)), Ok(whisper()));
        assert_eq!(route_beside("https://x/other", HOOK), None);
    }

    #[test]
    fn a_vonage_whisper_is_sealed_and_a_changed_side_is_refused() {
        let secrets = vonage_secrets("new,old");
        let now = Utc::now();
        let sealed = url(
            "https://x/webhooks/vonage/whisper",
            ProviderKind::Vonage,
            &whisper(),
            &secrets,
        );
        assert_eq!(
            authenticate_whisper(ProviderKind::Vonage, &get(sealed.clone()), &secrets, now),
            Ok(())
        );
        // Sealed with the old secret: still accepted while it is listed.
        let old = url(
            "https://x/webhooks/vonage/whisper",
            ProviderKind::Vonage,
            &whisper(),
            &vonage_secrets("old"),
        );
        assert_eq!(
            authenticate_whisper(ProviderKind::Vonage, &get(old), &secrets, now),
            Ok(())
        );
        let forged = sealed.replace("callee=driver", "callee=customer");
        assert_eq!(
            authenticate_whisper(ProviderKind::Vonage, &get(forged), &secrets, now),
            Err(AuthError::BadSignature)
        );
        let no_token = sealed.replace("token=tok", "token=nope");
        assert_eq!(
            authenticate_whisper(ProviderKind::Vonage, &get(no_token), &secrets, now),
            Err(AuthError::BadToken)
        );
    }
}
