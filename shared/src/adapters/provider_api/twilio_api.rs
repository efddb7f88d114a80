//! Twilio's REST API (version 2010-04-01): the account's credentials and URLs, and how Twilio
//! explains a failure. Shared by the number adapter and the click-to-call adapter.

use serde::Deserialize;

use super::http::{scrub_numbers, ApiClient, ApiFailure, Reply};
use super::settings;
use crate::config::ConfigError;

/// The pool's `provider` value for numbers rented from Twilio.
pub const PROVIDER: &str = "twilio";
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// Twilio's error code for "you tried to buy a number that is no longer for sale".
pub const NUMBER_NOT_AVAILABLE: u64 = 21422;

/// A Twilio account: HTTP basic auth is `account_sid:auth_token`.
#[derive(Clone, PartialEq, Eq)]
pub struct TwilioApi {
    /// `https://api.twilio.com`, or a fake server in tests.
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
}

impl std::fmt::Debug for TwilioApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioApi")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<hidden>")
            .finish()
    }
}

impl TwilioApi {
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<String>) -> TwilioApi {
        TwilioApi {
            base_url: DEFAULT_BASE_URL.to_string(),
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
        }
    }

    pub fn from_env() -> Option<Result<TwilioApi, ConfigError>> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN` and optionally `TWILIO_API_BASE_URL`. `None` when
    /// the account sid is unset or `-`: this deployment does not rent from Twilio.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Option<Result<TwilioApi, ConfigError>> {
        let account_sid = settings::configured(&lookup, "TWILIO_ACCOUNT_SID")?;
        Some(Self::read(&lookup, account_sid))
    }

    fn read(
        lookup: &impl Fn(&str) -> Option<String>,
        account_sid: String,
    ) -> Result<TwilioApi, ConfigError> {
        Ok(TwilioApi {
            base_url: settings::base_url(lookup, "TWILIO_API_BASE_URL", DEFAULT_BASE_URL)?,
            account_sid: settings::path_safe("TWILIO_ACCOUNT_SID", account_sid)?,
            // A rotation list (see `providers::secret_list`): the API takes the current token. A
            // list of no token (`","`) is a missing one, not an empty password.
            auth_token: Some(crate::providers::secret_list::current(&settings::required(
                lookup,
                "TWILIO_AUTH_TOKEN",
            )?))
            .filter(|token| !token.is_empty())
            .ok_or(ConfigError::Missing("TWILIO_AUTH_TOKEN"))?
            .to_string(),
        })
    }

    /// `{base}/2010-04-01/Accounts/{sid}/{rest}`.
    pub fn account_url(&self, rest: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/{rest}",
            self.base_url.trim_end_matches('/'),
            self.account_sid
        )
    }

    /// The URL of a list's `next_page_uri` (a path on Twilio's host). `None` for anything but a
    /// path under this account: the request carries our credentials, so it goes nowhere else.
    pub fn page_url(&self, next_page_uri: &str) -> Option<String> {
        let account = format!("/2010-04-01/Accounts/{}/", self.account_sid);
        (next_page_uri.starts_with(&account) && !next_page_uri.contains(".."))
            .then(|| format!("{}{next_page_uri}", self.base_url.trim_end_matches('/')))
    }

    pub fn client(&self) -> ApiClient {
        ApiClient::new(&self.account_sid, &self.auth_token)
    }
}

/// Twilio's error body: `{"code":20003,"message":"Authenticate","more_info":…,"status":401}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    code: Option<u64>,
    message: Option<String>,
}

/// The Twilio error code of a failed answer, if it carries one.
pub fn error_code(reply: &Reply) -> Option<u64> {
    serde_json::from_str::<ErrorBody>(&reply.body)
        .ok()
        .and_then(|b| b.code)
}

/// A failed answer as a refusal or an outage, with Twilio's code and (scrubbed) message.
pub fn failure(reply: &Reply) -> ApiFailure {
    let explanation = serde_json::from_str::<ErrorBody>(&reply.body)
        .ok()
        .and_then(|body| match (body.code, body.message) {
            (Some(code), Some(message)) => Some(format!("Twilio error {code}: {message}")),
            (Some(code), None) => Some(format!("Twilio error {code}")),
            (None, Some(message)) => Some(message),
            (None, None) => None,
        })
        .map(|words| scrub_numbers(&words));
    ApiFailure::from_status(reply.status, explanation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_credentials_and_treats_a_dash_as_unused() {
        let api = TwilioApi::from_lookup(|name| match name {
            "TWILIO_ACCOUNT_SID" => Some("AC123".into()),
            "TWILIO_AUTH_TOKEN" => Some("s3cret-value".into()),
            _ => None,
        })
        .unwrap()
        .unwrap();
        assert_eq!(api.base_url, DEFAULT_BASE_URL);
        assert_eq!(
            api.account_url("Calls.json"),
            "https://api.twilio.com/2010-04-01/Accounts/AC123/Calls.json"
        );
        assert!(!format!("{api:?}").contains("s3cret"));

        assert!(TwilioApi::from_lookup(|_| None).is_none());
        assert!(
            TwilioApi::from_lookup(|n| (n == "TWILIO_ACCOUNT_SID").then(|| "-".into())).is_none()
        );
    }

    #[test]
    fn next_pages_are_followed_only_within_the_account() {
        let api = TwilioApi::new("AC123", "tok");
        assert_eq!(
            api.page_url("/2010-04-01/Accounts/AC123/IncomingPhoneNumbers.json?Page=1")
                .as_deref(),
            Some(
                "https://api.twilio.com/2010-04-01/Accounts/AC123/IncomingPhoneNumbers.json?Page=1"
            )
        );
        for elsewhere in [
            "https://evil.example.com/2010-04-01/Accounts/AC123/x.json",
            "//evil.example.com/2010-04-01/Accounts/AC123/x.json",
            "/2010-04-01/Accounts/AC999/IncomingPhoneNumbers.json",
            "/2010-04-01/Accounts/AC123/../AC999/IncomingPhoneNumbers.json",
        ] {
            assert_eq!(api.page_url(elsewhere), None, "{elsewhere}");
        }
    }

    #[test]
    fn a_sid_without_a_token_or_with_a_slash_is_an_error() {
        let missing = TwilioApi::from_lookup(|n| (n == "TWILIO_ACCOUNT_SID").then(|| "AC1".into()));
        assert!(matches!(
            missing,
            Some(Err(ConfigError::Missing("TWILIO_AUTH_TOKEN")))
        ));
        let slash = TwilioApi::from_lookup(|n| match n {
            "TWILIO_ACCOUNT_SID" => Some("AC1/../x".into()),
            "TWILIO_AUTH_TOKEN" => Some("s3cret-value".into()),
            _ => None,
        });
        assert!(matches!(slash, Some(Err(ConfigError::Invalid { .. }))));
    }

    #[test]
    fn failures_carry_twilio_code_and_scrubbed_message() {
        let reply = Reply {
            status: 400,
            body:
                r#"{"code":21211,"message":"Invalid 'To' Phone Number: +14155550101","status":400}"#
                    .into(),
        };
        assert_eq!(error_code(&reply), Some(21211));
        assert_eq!(
            failure(&reply),
            ApiFailure::Refused(
                "HTTP 400, Twilio error 21211: Invalid 'To' Phone Number: +14*****0101".into()
            )
        );
        let garbage = Reply {
            status: 502,
            body: "<html>bad gateway</html>".into(),
        };
        assert_eq!(error_code(&garbage), None);
        assert_eq!(
            failure(&garbage),
            ApiFailure::Unavailable("HTTP 502".into())
        );
    }
}
