//! Settings every function reads from its environment, checked once at start-up so a missing secret
//! stops the function before it takes traffic instead of failing (or worse, degrading) per request.

use chrono::Duration;

use crate::domain::number::DefaultCountry;
use crate::domain::{AllocationPolicy, PairMode};
use crate::privacy::PrivacyError;

pub const DEFAULT_RELEASE_GRACE_SECONDS: i64 = 1800;
pub const DEFAULT_SESSION_MAX_SECONDS: i64 = 24 * 3600;
pub const DEFAULT_COOL_OFF_SECONDS: i64 = 6 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(transparent)]
    Key(#[from] PrivacyError),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub event_bus_name: String,
    pub policy: AllocationPolicy,
    /// How long released bindings stay callable (a forgotten item, a refund question).
    pub release_grace: Duration,
    /// Safety net for a lost OrderDelivered: no binding stays live longer than this.
    pub session_max: Duration,
    pub default_country: Option<DefaultCountry>,
    /// `BACKUP_NUMBERS=on`: each side also gets a backup VN on a different operator.
    pub backups: bool,
    /// `PAIR_MODE=single`: one VN per order, dialled by both parties (default `pair`).
    pub pair_mode: PairMode,
    /// `MAX_SESSIONS_PER_NUMBER`: the most live sessions one VN may carry under `shared` (unset:
    /// no limit), for providers that cap sessions per number.
    pub session_cap: Option<u32>,
    /// `SUSPECT_AFTER_FAILED_CALLS`: this many failed calls in a row on a VN flag it suspect.
    pub suspect_after: u32,
    pub refill: RefillSettings,
    pub click_to_call: ClickToCallMode,
}

/// How refill sizes and trims the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefillSettings {
    /// `REFILL_HEADROOM`: spare numbers above demand.
    pub headroom: u32,
    /// `REFILL_COOL_OFF_SECONDS`: how long a surplus number must be idle before it goes back.
    /// At most the binding retention (a day), which is how far back idleness can be seen.
    pub cool_off: Duration,
}

/// When an order's party may ask for a click-to-call instead of dialling the VN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickToCallMode {
    Off,
    Always,
    /// Once the side's last `n` calls on this order all failed to connect.
    AfterFailures(u32),
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply them without touching the process
    /// environment (which is shared by every test thread).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let settings = Settings(&lookup);
        Ok(Config {
            table_name: settings.required("TABLE_NAME")?,
            event_bus_name: settings
                .get("EVENT_BUS_NAME")
                .unwrap_or_else(|| "default".to_string()),
            policy: settings.policy()?,
            release_grace: settings
                .seconds("RELEASE_GRACE_SECONDS", DEFAULT_RELEASE_GRACE_SECONDS)?,
            session_max: settings.seconds("SESSION_MAX_SECONDS", DEFAULT_SESSION_MAX_SECONDS)?,
            default_country: settings.default_country()?,
            backups: settings.on_off("BACKUP_NUMBERS")?,
            pair_mode: settings.pair_mode()?,
            session_cap: settings.session_cap()?,
            suspect_after: settings.count("SUSPECT_AFTER_FAILED_CALLS", 5)?.max(1),
            refill: settings.refill()?,
            click_to_call: settings.click_to_call()?,
        })
    }
}

/// The settings as `from_lookup` reads them: a blank value counts as unset.
struct Settings<'a, F: Fn(&str) -> Option<String>>(&'a F);

impl<F: Fn(&str) -> Option<String>> Settings<'_, F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing(name))
    }

    fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            name,
            reason: reason.into(),
        }
    }

    fn seconds(&self, name: &'static str, default: i64) -> Result<Duration, ConfigError> {
        let Some(v) = self.get(name) else {
            return Ok(Duration::seconds(default));
        };
        v.trim()
            .parse::<i64>()
            .ok()
            .filter(|s| *s >= 0)
            .map(Duration::seconds)
            .ok_or_else(|| {
                Self::invalid(
                    name,
                    format!("expected a whole number of seconds, got {v:?}"),
                )
            })
    }

    fn on_off(&self, name: &'static str) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) if matches!(v.as_str(), "on" | "true" | "1" | "yes") => Ok(true),
            Some(v) if matches!(v.as_str(), "off" | "false" | "0" | "no") => Ok(false),
            Some(v) => Err(Self::invalid(
                name,
                format!("expected on or off, got {v:?}"),
            )),
        }
    }

    fn count(&self, name: &'static str, default: u32) -> Result<u32, ConfigError> {
        self.get(name).map_or(Ok(default), |v| {
            v.trim()
                .parse()
                .map_err(|_| Self::invalid(name, format!("expected a whole number, got {v:?}")))
        })
    }

    fn policy(&self) -> Result<AllocationPolicy, ConfigError> {
        match self.get("ALLOCATION_POLICY") {
            None => Ok(AllocationPolicy::default()),
            Some(v) => v
                .parse()
                .map_err(|reason: String| Self::invalid("ALLOCATION_POLICY", reason)),
        }
    }

    fn session_cap(&self) -> Result<Option<u32>, ConfigError> {
        let Some(v) = self.get("MAX_SESSIONS_PER_NUMBER") else {
            return Ok(None);
        };
        match v.trim().parse::<u32>() {
            Ok(cap) if cap >= 1 => Ok(Some(cap)),
            _ => Err(Self::invalid(
                "MAX_SESSIONS_PER_NUMBER",
                format!("expected a whole number of sessions, at least 1, got {v:?}"),
            )),
        }
    }

    fn pair_mode(&self) -> Result<PairMode, ConfigError> {
        match self.get("PAIR_MODE") {
            None => Ok(PairMode::default()),
            Some(v) => v
                .parse()
                .map_err(|reason: String| Self::invalid("PAIR_MODE", reason)),
        }
    }

    fn default_country(&self) -> Result<Option<DefaultCountry>, ConfigError> {
        self.get("DEFAULT_COUNTRY")
            .map(|v| {
                v.parse().map_err(|e: crate::domain::NumberError| {
                    Self::invalid("DEFAULT_COUNTRY", e.to_string())
                })
            })
            .transpose()
    }

    fn refill(&self) -> Result<RefillSettings, ConfigError> {
        let cool_off = self.seconds("REFILL_COOL_OFF_SECONDS", DEFAULT_COOL_OFF_SECONDS)?;
        if cool_off > Duration::hours(24) {
            return Err(Self::invalid(
                "REFILL_COOL_OFF_SECONDS",
                "at most 86400: expired bindings, which show how long a number was idle, are \
                 kept a day",
            ));
        }
        Ok(RefillSettings {
            headroom: self.count("REFILL_HEADROOM", 2)?,
            cool_off,
        })
    }

    fn click_to_call(&self) -> Result<ClickToCallMode, ConfigError> {
        let after_failures = || {
            Ok(ClickToCallMode::AfterFailures(
                self.count("CLICK_TO_CALL_AFTER_FAILURES", 2)?,
            ))
        };
        match self
            .get("CLICK_TO_CALL")
            .map(|v| v.trim().to_ascii_lowercase())
        {
            None => after_failures(),
            Some(v) => match v.as_str() {
                "off" => Ok(ClickToCallMode::Off),
                "always" => Ok(ClickToCallMode::Always),
                "after-failures" => after_failures(),
                _ => Err(Self::invalid(
                    "CLICK_TO_CALL",
                    format!("expected off, always or after-failures, got {v:?}"),
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const BASE: &[(&str, &str)] = &[
        ("TABLE_NAME", "maskline"),
        (
            "NUMBER_HASH_KEY",
            "bWFza2xpbmUtdGVzdC1oYXNoLWtleS0zMi1ieXRlcyE=",
        ),
        (
            "NUMBER_ENCRYPTION_KEY",
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        ),
    ];

    #[test]
    fn defaults_apply_when_optional_settings_are_absent() {
        let config = Config::from_lookup(env(BASE)).unwrap();
        assert_eq!(config.policy, AllocationPolicy::Shared);
        assert_eq!(config.release_grace, Duration::seconds(1800));
        assert_eq!(config.event_bus_name, "default");
        assert!(config.default_country.is_none());
        assert!(!config.backups);
        assert_eq!(config.pair_mode, PairMode::Pair);
        assert_eq!(config.session_cap, None);
        assert_eq!(config.suspect_after, 5);
        assert_eq!(config.refill.cool_off, Duration::hours(6));
        assert_eq!(config.click_to_call, ClickToCallMode::AfterFailures(2));
    }

    #[test]
    fn pool_lifecycle_settings_parse() {
        let mut pairs = BASE.to_vec();
        pairs.extend([
            ("BACKUP_NUMBERS", "on"),
            ("CLICK_TO_CALL", "always"),
            ("REFILL_HEADROOM", "4"),
            ("PAIR_MODE", "single"),
            ("MAX_SESSIONS_PER_NUMBER", "3"),
        ]);
        let config = Config::from_lookup(env(&pairs)).unwrap();
        assert!(config.backups);
        assert_eq!(config.pair_mode, PairMode::Single);
        assert_eq!(config.session_cap, Some(3));
        assert_eq!(config.click_to_call, ClickToCallMode::Always);
        assert_eq!(config.refill.headroom, 4);

        for (name, bad) in [
            ("BACKUP_NUMBERS", "maybe"),
            ("REFILL_COOL_OFF_SECONDS", "90000"),
            ("CLICK_TO_CALL", "sometimes"),
            ("PAIR_MODE", "both"),
            ("MAX_SESSIONS_PER_NUMBER", "0"),
        ] {
            let mut pairs = BASE.to_vec();
            pairs.push((name, bad));
            let err = Config::from_lookup(env(&pairs)).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn a_missing_table_is_a_start_up_error() {
        let err = Config::from_lookup(env(&[])).unwrap_err();
        assert!(matches!(err, ConfigError::Missing("TABLE_NAME")));
    }

    #[test]
    fn bad_values_name_the_setting() {
        let mut pairs = BASE.to_vec();
        pairs.push(("RELEASE_GRACE_SECONDS", "soon"));
        let err = Config::from_lookup(env(&pairs)).unwrap_err().to_string();
        assert!(err.contains("RELEASE_GRACE_SECONDS"), "{err}");

        let mut pairs = BASE.to_vec();
        pairs.push(("ALLOCATION_POLICY", "greedy"));
        assert!(Config::from_lookup(env(&pairs)).is_err());
    }
}
