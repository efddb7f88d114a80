//! What a webhook secret must look like before a function starts with it: long enough to be one
//! the provider (or `create-secrets.sh`) really issues, and, for the URL tokens, one provider's
//! token never another's. A shorter value is a typo, a placeholder or a test value, and a
//! signature made with it is one an attacker may guess; refusing it at start-up (one line, naming
//! the setting, never the value) beats refusing or, worse, accepting every webhook at run time.

use super::secret_list::listed;
use super::WebhookSecrets;

/// A secret setting refused: which one, and why (never its value). The settings layer reports it
/// as that setting's start-up error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} {reason}")]
pub struct RefusedSecret {
    pub name: &'static str,
    pub reason: String,
}

/// The shortest secret each setting may list, and who issues it at that length.
/// - Twilio's auth tokens (primary and secondary) are 32 hex characters.
/// - Plivo's auth tokens are 40 characters.
/// - Vonage's signature secret is generated in its dashboard and keys an HMAC-SHA256; 32 is the
///   floor held here (a key shorter than that is weaker than the hash it keys).
/// - The URL tokens are Maskline's own: `create-secrets.sh` makes them with 32 random bytes
///   (43 characters of URL-safe base64); 32 is the floor.
pub const MINIMUM_LENGTHS: [(&str, usize, &str); 5] = [
    (
        "TWILIO_AUTH_TOKEN",
        32,
        "Twilio issues auth tokens of 32 characters",
    ),
    (
        "PLIVO_AUTH_TOKEN",
        40,
        "Plivo issues auth tokens of 40 characters",
    ),
    (
        "VONAGE_SIGNATURE_SECRET",
        32,
        "an HMAC-SHA256 key shorter than 32 characters is weaker than its hash",
    ),
    (
        "EXOTEL_WEBHOOK_TOKEN",
        32,
        "create-secrets.sh makes URL tokens of 43 characters",
    ),
    (
        "VONAGE_WEBHOOK_TOKEN",
        32,
        "create-secrets.sh makes URL tokens of 43 characters",
    ),
];

/// Every listed secret long enough, and no URL token shared by Exotel and Vonage.
pub fn check(secrets: &WebhookSecrets) -> Result<(), RefusedSecret> {
    let of = |name: &str| match name {
        "TWILIO_AUTH_TOKEN" => &secrets.twilio_auth_token,
        "PLIVO_AUTH_TOKEN" => &secrets.plivo_auth_token,
        "VONAGE_SIGNATURE_SECRET" => &secrets.vonage_signature_secret,
        "EXOTEL_WEBHOOK_TOKEN" => &secrets.exotel_token,
        _ => &secrets.vonage_token,
    };
    for (name, minimum, why) in MINIMUM_LENGTHS {
        let Some(raw) = of(name) else { continue };
        if let Some(short) = listed(raw).find(|s| s.chars().count() < minimum) {
            return Err(RefusedSecret {
                name,
                reason: format!(
                    "lists a secret of {} characters, fewer than {minimum} ({why}): a typo, a \
                     placeholder or a test value, refused",
                    short.chars().count()
                ),
            });
        }
    }
    if let (Some(exotel), Some(vonage)) = (&secrets.exotel_token, &secrets.vonage_token) {
        if listed(exotel).any(|token| listed(vonage).any(|other| other == token)) {
            return Err(RefusedSecret {
                name: "VONAGE_WEBHOOK_TOKEN",
                reason: "lists a token EXOTEL_WEBHOOK_TOKEN lists too: Exotel's token would open \
                         Vonage's routes; give each provider its own"
                    .into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWILIO: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    const PLIVO: &str = "ZmUzYjQ1NjdhODkwYmNkZWYxMjM0NTY3ODkwYWJj";

    fn realistic() -> WebhookSecrets {
        WebhookSecrets {
            twilio_auth_token: Some(TWILIO.into()),
            plivo_auth_token: Some(PLIVO.into()),
            vonage_signature_secret: Some("vonage-signature-secret-made-up-0123".into()),
            exotel_token: Some("exotel-url-token-made-up-0123456789abcdef".into()),
            vonage_token: Some("vonage-url-token-made-up-0123456789abcdef".into()),
        }
    }

    #[test]
    fn secrets_of_the_length_providers_issue_pass() {
        assert!(check(&realistic()).is_ok());
        assert!(
            check(&WebhookSecrets::default()).is_ok(),
            "unset is not weak"
        );
    }

    #[test]
    fn a_short_secret_is_refused_naming_the_setting_never_the_value() {
        for (name, minimum, _) in MINIMUM_LENGTHS {
            let short = "s".repeat(minimum - 1);
            let mut secrets = realistic();
            let slot = match name {
                "TWILIO_AUTH_TOKEN" => &mut secrets.twilio_auth_token,
                "PLIVO_AUTH_TOKEN" => &mut secrets.plivo_auth_token,
                "VONAGE_SIGNATURE_SECRET" => &mut secrets.vonage_signature_secret,
                "EXOTEL_WEBHOOK_TOKEN" => &mut secrets.exotel_token,
                _ => &mut secrets.vonage_token,
            };
            // Beside a good one, as during a rotation: every listed secret counts.
            *slot = Some(format!("{},{short}", slot.clone().unwrap()));
            let message = check(&secrets).unwrap_err().to_string();
            assert!(message.starts_with(name), "{message}");
            assert!(message.contains(&format!("{}", minimum - 1)), "{message}");
            assert!(!message.contains(&short), "{message}");
            assert!(!message.contains('\n'), "one line: {message}");
        }
    }

    #[test]
    fn one_url_token_for_both_providers_is_refused() {
        let mut secrets = realistic();
        secrets.vonage_token = Some(format!(
            "vonage-url-token-made-up-0123456789abcdef, {}",
            secrets.exotel_token.clone().unwrap()
        ));
        let message = check(&secrets).unwrap_err().to_string();
        assert!(message.contains("EXOTEL_WEBHOOK_TOKEN"), "{message}");
        assert!(!message.contains("made-up"), "{message}");
    }
}
