//! Settings of the provider webhooks. Each provider's secret is optional at start-up — a
//! deployment may use only one provider — but a provider whose secret is missing has every request
//! refused (fail closed), with the missing setting named in the log.

use crate::domain::number::DefaultCountry;
use crate::domain::E164;
use crate::providers::answer::{DEFAULT_OUT_OF_SESSION_MESSAGE, DEFAULT_TRY_AGAIN_MESSAGE};
use crate::providers::call_announcement::{Announcements, Template, DEFAULT_CONSENT_MESSAGE};
use crate::providers::secret_rules;
use crate::providers::source_allowlist::SourceAllowlist;
use crate::providers::AnswerOptions;

use super::config::ConfigError;

// The secrets are the providers' own vocabulary; settings only fill them in.
pub use crate::providers::WebhookSecrets;

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub secrets: WebhookSecrets,
    /// The public URL prefix the providers call (`https://api.example.com`); signatures cover the
    /// URL as the provider saw it, which a proxy or stage prefix may change.
    pub public_base_url: Option<String>,
    pub answer: AnswerOptions,
    pub default_country: Option<DefaultCountry>,
    /// `REPLAY_GUARD=on`: a voice request whose call id was already answered gets the
    /// out-of-session answer. Off by default: it adds a conditional write to every call.
    pub replay_guard: bool,
    /// `EXOTEL_ALLOWED_CIDRS`: where Exotel's requests may come from (unset: anywhere).
    pub exotel_sources: Option<SourceAllowlist>,
}

impl WebhookConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // "-" or "none" mark a provider as unused (a Secrets Manager JSON cannot hold an absent
        // key): treated exactly like a missing secret, so its webhooks refuse everything.
        let get = |name: &str| {
            lookup(name).filter(|v| {
                let v = v.trim();
                !v.is_empty() && v != "-" && !v.eq_ignore_ascii_case("none")
            })
        };
        let number = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            get(name).map_or(Ok(default), |v| {
                v.trim().parse().map_err(|_| ConfigError::Invalid {
                    name,
                    reason: format!("expected a whole number, got {v:?}"),
                })
            })
        };
        let default_country = get("DEFAULT_COUNTRY")
            .map(|v| {
                v.parse::<DefaultCountry>()
                    .map_err(|e| ConfigError::Invalid {
                        name: "DEFAULT_COUNTRY",
                        reason: e.to_string(),
                    })
            })
            .transpose()?;
        let forward = get("OUT_OF_SESSION_FORWARD")
            .map(|v| {
                E164::parse(&v, default_country).map_err(|e| ConfigError::Invalid {
                    name: "OUT_OF_SESSION_FORWARD",
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        let on_off = |name: &'static str| match get(name).as_deref().map(str::trim) {
            None | Some("off") | Some("false") | Some("0") => Ok(false),
            Some("on") | Some("true") | Some("1") => Ok(true),
            Some(other) => Err(ConfigError::Invalid {
                name,
                reason: format!("expected on or off, got {other:?}"),
            }),
        };
        let replay_guard = on_off("REPLAY_GUARD")?;
        let exotel_sources = get("EXOTEL_ALLOWED_CIDRS")
            .map(|raw| SourceAllowlist::parse(&raw))
            .transpose()
            .map_err(|reason| ConfigError::Invalid {
                name: "EXOTEL_ALLOWED_CIDRS",
                reason,
            })?;
        let record = on_off("RECORD_CALLS")?;
        // Unset (or "-"): no announcement, the call bridges at once as it always did.
        let template = |name: &'static str| {
            get(name)
                .map(|raw| {
                    Template::parse(&raw).map_err(|reason| ConfigError::Invalid { name, reason })
                })
                .transpose()
        };
        let announcements = Announcements {
            to_driver: template("ANNOUNCE_TO_DRIVER")?,
            to_customer: template("ANNOUNCE_TO_CUSTOMER")?,
            consent_message: get("RECORDING_CONSENT_MESSAGE")
                .map(|m| m.trim().to_string())
                .unwrap_or_else(|| DEFAULT_CONSENT_MESSAGE.to_string()),
        };
        // The older shared name filled both providers' tokens, so a token seen in Exotel's console
        // opened Vonage's routes too: it is refused rather than read.
        if get("WEBHOOK_PATH_TOKEN").is_some() {
            return Err(ConfigError::Invalid {
                name: "WEBHOOK_PATH_TOKEN",
                reason: "retired (one token opened both Exotel's and Vonage's routes): \
                         set EXOTEL_WEBHOOK_TOKEN and VONAGE_WEBHOOK_TOKEN, each its own"
                    .into(),
            });
        }
        let secrets = WebhookSecrets {
            twilio_auth_token: get("TWILIO_AUTH_TOKEN"),
            plivo_auth_token: get("PLIVO_AUTH_TOKEN"),
            vonage_signature_secret: get("VONAGE_SIGNATURE_SECRET"),
            exotel_token: get("EXOTEL_WEBHOOK_TOKEN"),
            vonage_token: get("VONAGE_WEBHOOK_TOKEN"),
        };
        secret_rules::check(&secrets).map_err(|refused| ConfigError::Invalid {
            name: refused.name,
            reason: refused.reason,
        })?;
        Ok(WebhookConfig {
            secrets,
            public_base_url: get("PUBLIC_WEBHOOK_BASE_URL")
                .map(|u| u.trim().trim_end_matches('/').to_string()),
            answer: AnswerOptions {
                max_call_seconds: number("MAX_CALL_SECONDS", 3600)?,
                ring_timeout_seconds: number("RING_TIMEOUT_SECONDS", 30)?,
                record,
                out_of_session_message: get("OUT_OF_SESSION_MESSAGE")
                    .unwrap_or_else(|| DEFAULT_OUT_OF_SESSION_MESSAGE.to_string()),
                out_of_session_forward: forward,
                try_again_message: get("CALL_PATH_FAILURE_MESSAGE")
                    .unwrap_or_else(|| DEFAULT_TRY_AGAIN_MESSAGE.to_string()),
                announcements,
            },
            default_country,
            replay_guard,
            exotel_sources,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_optional_and_never_printed() {
        let config = WebhookConfig::from_lookup(|name| {
            (name == "TWILIO_AUTH_TOKEN").then(|| "very-secret-0123456789abcdef012345".to_string())
        })
        .unwrap();
        assert!(config.secrets.plivo_auth_token.is_none());
        let printed = format!("{config:?}");
        assert!(!printed.contains("very-secret"));
        assert!(printed.contains("twilio_auth_token: \"set\""));
        assert_eq!(config.answer.max_call_seconds, 3600);
    }

    #[test]
    fn no_settings_that_load_let_exotels_token_open_vonages_route() {
        use crate::providers::{authenticate, HttpMethod, ProviderKind, WebhookRequest};
        const EXOTEL: &str = "exotel-url-token-made-up-0123456789abcdef";
        const OTHER: &str = "vonage-url-token-made-up-0123456789abcdef";
        let vonage_request_with_exotels_token = WebhookRequest {
            method: HttpMethod::Get,
            url: format!("https://x/webhooks/vonage/voice?uuid=u&token={EXOTEL}"),
            headers: Default::default(),
            body: Vec::new(),
        };
        let shapes: [&[(&str, &str)]; 4] = [
            &[("WEBHOOK_PATH_TOKEN", EXOTEL)],
            &[
                ("EXOTEL_WEBHOOK_TOKEN", EXOTEL),
                ("WEBHOOK_PATH_TOKEN", EXOTEL),
            ],
            &[
                ("EXOTEL_WEBHOOK_TOKEN", EXOTEL),
                ("VONAGE_WEBHOOK_TOKEN", EXOTEL),
            ],
            &[
                ("EXOTEL_WEBHOOK_TOKEN", EXOTEL),
                ("VONAGE_WEBHOOK_TOKEN", OTHER),
            ],
        ];
        for settings in shapes {
            let lookup = |name: &str| {
                settings
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            };
            let Ok(config) = WebhookConfig::from_lookup(lookup) else {
                continue; // refused at start-up: nothing opens
            };
            let opened = authenticate(
                ProviderKind::Vonage,
                &vonage_request_with_exotels_token,
                &config.secrets,
                chrono::Utc::now(),
            );
            assert!(
                opened.is_err(),
                "{settings:?}: Exotel's token opened Vonage's route"
            );
        }
        let err = WebhookConfig::from_lookup(|n| (n == "WEBHOOK_PATH_TOKEN").then(|| OTHER.into()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("EXOTEL_WEBHOOK_TOKEN and VONAGE_WEBHOOK_TOKEN"),
            "{err}"
        );
        assert!(!err.contains(OTHER), "{err}");
    }

    #[test]
    fn a_weak_secret_stops_start_up_naming_the_setting() {
        let err = WebhookConfig::from_lookup(|name| {
            (name == "TWILIO_AUTH_TOKEN").then(|| "local-twilio-auth-token".to_string())
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("TWILIO_AUTH_TOKEN"), "{err}");
        assert!(!err.contains("local-twilio"), "{err}");
    }

    #[test]
    fn a_dash_placeholder_means_not_configured() {
        let config = WebhookConfig::from_lookup(|name| {
            (name == "PLIVO_AUTH_TOKEN").then(|| "-".to_string())
        })
        .unwrap();
        assert!(config.secrets.plivo_auth_token.is_none());
    }

    #[test]
    fn announcements_are_read_and_a_bad_template_names_its_setting() {
        let settings = [
            (
                "ANNOUNCE_TO_DRIVER",
                "Call from your customer for order {order_short}",
            ),
            ("RECORD_CALLS", "on"),
        ];
        let config = WebhookConfig::from_lookup(|name| {
            settings
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
        .unwrap();
        let announcements = &config.answer.announcements;
        assert!(announcements.to_driver.is_some());
        assert_eq!(announcements.to_customer, None);
        assert_eq!(announcements.consent_message, DEFAULT_CONSENT_MESSAGE);
        let unset = WebhookConfig::from_lookup(|_| None).unwrap();
        assert_eq!(unset.answer.announcements, Announcements::default());
        let err = WebhookConfig::from_lookup(|name| {
            (name == "ANNOUNCE_TO_CUSTOMER").then(|| "order {order}".to_string())
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("ANNOUNCE_TO_CUSTOMER"), "{err}");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = WebhookConfig::from_lookup(|name| {
            (name == "OUT_OF_SESSION_FORWARD").then(|| "12".to_string())
        })
        .unwrap_err();
        assert!(err.to_string().contains("OUT_OF_SESSION_FORWARD"));
    }
}
