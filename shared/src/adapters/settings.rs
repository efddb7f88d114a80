//! A function's settings: its environment, plus the Secrets Manager secrets named in
//! `SECRET_IDS`, read once at start-up and kept for the life of the instance.
//!
//! Secrets stay out of function configuration, where anyone allowed
//! `lambda:GetFunctionConfiguration` (part of AWS's ReadOnlyAccess) could read them; each
//! function's role may read only the secrets it names. Local runs set no `SECRET_IDS` and keep
//! reading the environment.

use std::collections::HashMap;

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read secret {id}: {reason}")]
    Unreadable { id: String, reason: String },
    #[error("secret {id} must be a JSON object of strings (it holds {what})")]
    NotAnObject { id: String, what: &'static str },
    /// A secret setting something that is no secret (an API base URL, the table): whoever can
    /// write one secret could otherwise redirect the functions' calls, real numbers and all.
    #[error("secret {id} may hold only the keys of one kind of Maskline secret ({kinds}); it sets {key}")]
    ForeignKey {
        id: String,
        key: String,
        kinds: String,
    },
}

/// The keys each kind of secret holds (`infra/deploy/create-secrets.sh` makes one of each). A
/// secret's keys must all belong to one kind.
const SECRET_KINDS: &[(&str, &[&str])] = &[
    (
        "webhooks",
        &[
            "TWILIO_AUTH_TOKEN",
            "PLIVO_AUTH_TOKEN",
            "VONAGE_SIGNATURE_SECRET",
            "EXOTEL_WEBHOOK_TOKEN",
            "VONAGE_WEBHOOK_TOKEN",
            "WEBHOOK_PATH_TOKEN",
        ],
    ),
    (
        "provider-apis",
        &[
            "TWILIO_ACCOUNT_SID",
            "EXOTEL_ACCOUNT_SID",
            "EXOTEL_API_KEY",
            "EXOTEL_API_TOKEN",
        ],
    ),
    ("number-hash-key", &["NUMBER_HASH_KEY"]),
    ("number-encryption-key", &["NUMBER_ENCRYPTION_KEY"]),
    // The single secret stacks had before the keys were split.
    ("number-keys", &["NUMBER_HASH_KEY", "NUMBER_ENCRYPTION_KEY"]),
];

/// Refuses a secret whose keys are not all of one kind, naming the first key that is not.
fn check_kind(id: &str, values: &HashMap<String, String>) -> Result<(), SettingsError> {
    let fits = |keys: &[&str]| values.keys().all(|k| keys.contains(&k.as_str()));
    if SECRET_KINDS.iter().any(|(_, keys)| fits(keys)) {
        return Ok(());
    }
    let mut names: Vec<&String> = values.keys().collect();
    names.sort();
    let known = |k: &&&String| {
        SECRET_KINDS
            .iter()
            .any(|(_, keys)| keys.contains(&k.as_str()))
    };
    let key = names
        .iter()
        .find(|k| !known(k))
        .or(names.last())
        .map(|k| k.to_string())
        .unwrap_or_default();
    Err(SettingsError::ForeignKey {
        id: id.to_string(),
        key,
        kinds: SECRET_KINDS
            .iter()
            .map(|(kind, _)| *kind)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Name -> value; a secret's keys win over the environment's, so configuration cannot shadow them.
#[derive(Clone, Default)]
pub struct Settings {
    values: HashMap<String, String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.values.keys().collect();
        names.sort();
        f.debug_struct("Settings").field("names", &names).finish()
    }
}

impl Settings {
    /// The process environment plus the secrets its `SECRET_IDS` names.
    pub async fn load(aws: &aws_config::SdkConfig) -> Result<Settings, SettingsError> {
        let environment: HashMap<String, String> = std::env::vars().collect();
        let ids = secret_ids(environment.get("SECRET_IDS").map(String::as_str));
        if ids.is_empty() {
            return Ok(Settings {
                values: environment,
            });
        }
        let client = aws_sdk_secretsmanager::Client::new(aws);
        Settings::with_secrets(environment, &client, &ids).await
    }

    /// `base` plus every secret in `ids`, each a JSON object of string values.
    pub async fn with_secrets(
        base: HashMap<String, String>,
        client: &aws_sdk_secretsmanager::Client,
        ids: &[String],
    ) -> Result<Settings, SettingsError> {
        let mut values = base;
        for id in ids {
            let secret = client
                .get_secret_value()
                .secret_id(id)
                .send()
                .await
                .map_err(|e| SettingsError::Unreadable {
                    id: id.clone(),
                    reason: DisplayErrorContext(&e).to_string(),
                })?;
            let text = secret.secret_string().ok_or(SettingsError::NotAnObject {
                id: id.clone(),
                what: "binary data",
            })?;
            let secret = secret_values(id, text)?;
            check_kind(id, &secret)?;
            values.extend(secret);
        }
        Ok(Settings { values })
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }

    /// For the `from_lookup` constructors of every setting.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        move |name| self.get(name)
    }
}

/// `SECRET_IDS`: comma-separated names or ARNs.
pub fn secret_ids(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(String::from)
        .collect()
}

/// The key/value pairs of one secret's JSON text. Never echoes a value: they are secrets.
fn secret_values(id: &str, text: &str) -> Result<HashMap<String, String>, SettingsError> {
    let not_an_object = |what| SettingsError::NotAnObject {
        id: id.to_string(),
        what,
    };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return Err(not_an_object("something else than a JSON object"));
    };
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            _ => Err(not_an_object("a value that is not a string")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_holds_only_the_keys_of_its_kind() {
        let of = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(check_kind("w", &of(&[("TWILIO_AUTH_TOKEN", "t")])).is_ok());
        assert!(check_kind("k", &of(&[("NUMBER_HASH_KEY", "h")])).is_ok());
        let redirect = of(&[
            ("TWILIO_ACCOUNT_SID", "AC1"),
            ("TWILIO_API_BASE_URL", "http://attacker.example"),
        ]);
        let err = check_kind("maskline/provider-apis", &redirect).unwrap_err();
        assert!(err.to_string().contains("TWILIO_API_BASE_URL"), "{err}");
        assert!(
            !err.to_string().contains("attacker"),
            "never the value: {err}"
        );
        // Keys of two kinds in one secret: the hash key beside the webhook tokens.
        let mixed = of(&[("NUMBER_HASH_KEY", "h"), ("TWILIO_AUTH_TOKEN", "t")]);
        assert!(check_kind("m", &mixed).is_err());
    }

    #[test]
    fn ids_are_a_comma_separated_list() {
        assert_eq!(secret_ids(Some(" a/b , c ,,")), ["a/b", "c"]);
        assert!(secret_ids(None).is_empty());
    }

    #[test]
    fn a_secret_is_an_object_of_strings_and_its_values_are_never_echoed() {
        let values = secret_values("s", r#"{"NUMBER_HASH_KEY":"k1"}"#).unwrap();
        assert_eq!(values["NUMBER_HASH_KEY"], "k1");
        let err = secret_values("s", r#"{"A":"very-secret","B":3}"#).unwrap_err();
        assert!(!err.to_string().contains("very-secret"), "{err}");
        assert!(secret_values("s", "very-secret").is_err());
    }
}
