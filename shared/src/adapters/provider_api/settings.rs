//! Reading a provider's API credentials from settings. A provider nobody configured is simply
//! absent (`None`); one half-configured is an error, so a typo stops the function at start-up
//! instead of failing every refill or call later.

use crate::config::ConfigError;

/// The value of `name`, or `None` when it is unset, blank, `-` or `none` (a Secrets Manager JSON
/// cannot hold an absent key, so deployments mark an unused provider that way).
pub fn configured(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty() && v != "-" && !v.eq_ignore_ascii_case("none"))
}

/// A required setting of a provider that is otherwise configured.
pub fn required(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, ConfigError> {
    configured(lookup, name).ok_or(ConfigError::Missing(name))
}

/// An API base URL (`https://api.twilio.com`), without its trailing slash. It carries real
/// numbers and credentials, so it must be `https://`; plain `http://` only to this machine,
/// where the tests run their stand-in servers.
pub fn base_url(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<String, ConfigError> {
    let url = configured(lookup, name).unwrap_or_else(|| default.to_string());
    let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
    if !(url.starts_with("https://") || loopback.iter().any(|l| url.starts_with(l))) {
        return Err(ConfigError::Invalid {
            name,
            reason: format!("expected an https:// URL (http:// only to this machine), got {url:?}"),
        });
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// An account sid goes into URL paths, so it may only hold letters and digits: anything else
/// could point the request at another path.
pub fn path_safe(name: &'static str, value: String) -> Result<String, ConfigError> {
    if is_path_safe(&value) {
        Ok(value)
    } else {
        Err(ConfigError::Invalid {
            name,
            reason: "expected letters and digits only".to_string(),
        })
    }
}

pub fn is_path_safe(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn dash_none_and_blank_mean_unset() {
        let lookup = env(&[("A", "-"), ("B", " none "), ("C", " "), ("D", " x ")]);
        assert_eq!(configured(&lookup, "A"), None);
        assert_eq!(configured(&lookup, "B"), None);
        assert_eq!(configured(&lookup, "C"), None);
        assert_eq!(configured(&lookup, "D").as_deref(), Some("x"));
        assert!(matches!(
            required(&lookup, "A"),
            Err(ConfigError::Missing("A"))
        ));
    }

    #[test]
    fn base_urls_default_lose_their_slash_and_must_be_http() {
        let lookup = env(&[
            ("URL", "http://127.0.0.1:9/"),
            ("BAD", "api.example.com"),
            ("PLAIN", "http://api.example.com"),
        ]);
        assert_eq!(
            base_url(&lookup, "URL", "https://x").unwrap(),
            "http://127.0.0.1:9"
        );
        assert_eq!(
            base_url(&lookup, "UNSET", "https://x").unwrap(),
            "https://x"
        );
        assert!(base_url(&lookup, "BAD", "https://x").is_err());
        // Plain HTTP off this machine would send credentials and real numbers in the clear.
        assert!(base_url(&lookup, "PLAIN", "https://x").is_err());
    }

    #[test]
    fn path_segments_are_letters_and_digits() {
        assert!(is_path_safe("AC0123abc"));
        assert!(!is_path_safe("AC/../x"));
        assert!(!is_path_safe(""));
        assert!(path_safe("SID", "a b".to_string()).is_err());
    }
}
