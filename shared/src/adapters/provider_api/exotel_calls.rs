//! Click-to-call through Exotel's "connect two numbers" API
//! (`POST /v1/Accounts/{sid}/Calls/connect.json`): Exotel rings `From`, and once it answers, rings
//! `To` and bridges the two.
//!
//! Limitation: Exotel shows one `CallerId` (an ExoPhone) on both legs. We send `first_sees`, so
//! `second` sees `first_sees` rather than `second_sees`. Should `second` call that number back,
//! it reaches whatever `first_sees` is bound to for them, which may not be `first`. Operators
//! who need both legs masked independently should dial through Twilio.

use async_trait::async_trait;
use serde::Deserialize;
use tracing::info;

use super::http::{scrub_numbers, ApiClient, ApiFailure, Reply};
use super::settings;
use crate::config::ConfigError;
use crate::ports::dialer::{BridgeCall, CallDialer, DialError, PlacedCall};

pub const PROVIDER: &str = "exotel";
/// Exotel's Singapore cluster; Mumbai accounts use `https://api.in.exotel.com`.
pub const DEFAULT_BASE_URL: &str = "https://api.exotel.com";

/// An Exotel account: requests go to `/v1/Accounts/{account_sid}/…` with HTTP basic auth
/// `api_key:api_token`.
#[derive(Clone, PartialEq, Eq)]
pub struct ExotelApi {
    pub base_url: String,
    pub account_sid: String,
    pub api_key: String,
    pub api_token: String,
}

impl std::fmt::Debug for ExotelApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExotelApi")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("api_key", &self.api_key)
            .field("api_token", &"<hidden>")
            .finish()
    }
}

impl ExotelApi {
    pub fn from_env() -> Option<Result<ExotelApi, ConfigError>> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// `EXOTEL_ACCOUNT_SID`, `EXOTEL_API_KEY`, `EXOTEL_API_TOKEN` and optionally
    /// `EXOTEL_API_BASE_URL`. `None` when the account sid is unset or `-`. Older Exotel accounts
    /// authenticate with `sid:token`, so a missing API key falls back to the account sid.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Option<Result<ExotelApi, ConfigError>> {
        let account_sid = settings::configured(&lookup, "EXOTEL_ACCOUNT_SID")?;
        Some(Self::read(&lookup, account_sid))
    }

    fn read(
        lookup: &impl Fn(&str) -> Option<String>,
        account_sid: String,
    ) -> Result<ExotelApi, ConfigError> {
        Ok(ExotelApi {
            base_url: settings::base_url(lookup, "EXOTEL_API_BASE_URL", DEFAULT_BASE_URL)?,
            api_key: settings::configured(lookup, "EXOTEL_API_KEY")
                .unwrap_or_else(|| account_sid.clone()),
            account_sid: settings::path_safe("EXOTEL_ACCOUNT_SID", account_sid)?,
            api_token: settings::required(lookup, "EXOTEL_API_TOKEN")?,
        })
    }

    /// The connect endpoint; the `.json` suffix asks Exotel for JSON instead of its default XML.
    pub fn connect_url(&self) -> String {
        format!(
            "{}/v1/Accounts/{}/Calls/connect.json",
            self.base_url.trim_end_matches('/'),
            self.account_sid
        )
    }
}

#[derive(Debug, Clone)]
pub struct ExotelCalls {
    api: ExotelApi,
    client: ApiClient,
}

impl ExotelCalls {
    pub fn new(api: ExotelApi) -> ExotelCalls {
        ExotelCalls {
            client: ApiClient::new(&api.api_key, &api.api_token),
            api,
        }
    }
}

/// `{"Call":{"Sid":"…","Status":"in-progress", …}}`
#[derive(Debug, Deserialize)]
struct Connected {
    #[serde(rename = "Call")]
    call: ConnectedCall,
}

#[derive(Debug, Deserialize)]
struct ConnectedCall {
    #[serde(rename = "Sid")]
    sid: String,
}

/// `{"RestException":{"Status":401,"Message":"…","Code":…}}`
#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(rename = "RestException")]
    exception: RestException,
}

#[derive(Debug, Deserialize)]
struct RestException {
    #[serde(rename = "Message")]
    message: Option<String>,
}

/// The connect form. Exotel rings `From` first, so that is `first`.
fn connect_form(call: &BridgeCall) -> Vec<(&'static str, String)> {
    vec![
        ("From", call.first.expose().to_string()),
        ("To", call.second.expose().to_string()),
        ("CallerId", call.first_sees.as_str().to_string()),
        ("TimeLimit", call.max_call_seconds.to_string()),
        ("CallType", "trans".to_string()),
    ]
}

fn failure(reply: &Reply) -> ApiFailure {
    let explanation = serde_json::from_str::<ErrorBody>(&reply.body)
        .ok()
        .and_then(|body| body.exception.message)
        .map(|message| format!("Exotel: {}", scrub_numbers(&message)));
    ApiFailure::from_status(reply.status, explanation)
}

#[async_trait]
impl CallDialer for ExotelCalls {
    async fn bridge(&self, call: &BridgeCall) -> Result<PlacedCall, DialError> {
        let reply = self
            .client
            .post_form(&self.api.connect_url(), &connect_form(call))
            .await
            .map_err(|f| f.into_dial_error(PROVIDER))?;
        if !reply.is_success() {
            return Err(failure(&reply).into_dial_error(PROVIDER));
        }
        let connected: Connected = serde_json::from_str(&reply.body).map_err(|e| {
            ApiFailure::Unavailable(format!("call placed but its answer is unreadable: {e}"))
                .into_dial_error(PROVIDER)
        })?;
        info!(order_id = %call.order_id, call_sid = %connected.call.sid, "placed Exotel bridge call");
        Ok(PlacedCall {
            call_id: connected.call.sid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OrderId, VirtualNumber, E164};

    #[test]
    fn reads_credentials_with_the_sid_as_default_key() {
        let api = ExotelApi::from_lookup(|name| match name {
            "EXOTEL_ACCOUNT_SID" => Some("maskline1".into()),
            "EXOTEL_API_TOKEN" => Some("s3cret-value".into()),
            "EXOTEL_API_BASE_URL" => Some("https://api.in.exotel.com/".into()),
            _ => None,
        })
        .unwrap()
        .unwrap();
        assert_eq!(api.api_key, "maskline1");
        assert_eq!(
            api.connect_url(),
            "https://api.in.exotel.com/v1/Accounts/maskline1/Calls/connect.json"
        );
        assert!(!format!("{api:?}").contains("s3cret"));
        assert!(ExotelApi::from_lookup(|_| None).is_none());
        assert!(matches!(
            ExotelApi::from_lookup(|n| (n == "EXOTEL_ACCOUNT_SID").then(|| "a1".into())),
            Some(Err(ConfigError::Missing("EXOTEL_API_TOKEN")))
        ));
    }

    #[test]
    fn form_rings_first_then_second_showing_first_sees() {
        let call = BridgeCall {
            order_id: OrderId::parse("ORD-1").unwrap(),
            first: E164::parse("+919876500001", None).unwrap(),
            first_sees: VirtualNumber::parse("+918041000001", None).unwrap(),
            second: E164::parse("+919876400002", None).unwrap(),
            second_sees: VirtualNumber::parse("+918041000002", None).unwrap(),
            max_call_seconds: 600,
            served_base: None,
        };
        assert_eq!(
            connect_form(&call),
            [
                ("From", "+919876500001".to_string()),
                ("To", "+919876400002".to_string()),
                ("CallerId", "+918041000001".to_string()),
                ("TimeLimit", "600".to_string()),
                ("CallType", "trans".to_string()),
            ]
        );
    }

    #[test]
    fn failures_carry_exotel_message_scrubbed() {
        let reply = Reply {
            status: 400,
            body: r#"{"RestException":{"Status":400,"Message":"To +919876400002 is in DND"}}"#
                .into(),
        };
        assert_eq!(
            failure(&reply),
            ApiFailure::Refused("HTTP 400, Exotel: To +91******0002 is in DND".into())
        );
    }
}
