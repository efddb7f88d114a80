//! Click-to-call through Twilio: one outbound call to `first`, whose TwiML dials `second`.
//!
//! Twilio lets each leg show its own caller ID: the outbound call's `From` is what `first` sees,
//! and the `<Dial callerId>` is what `second` sees, so both parties see one of our VNs, each the
//! one that reaches the other party when called back.

use async_trait::async_trait;
use serde::Deserialize;
use tracing::info;

use super::http::{ApiClient, ApiFailure};
use super::twilio_api::{self, TwilioApi, PROVIDER};
use crate::ports::dialer::{BridgeCall, CallDialer, DialError, PlacedCall};

#[derive(Debug, Clone)]
pub struct TwilioCalls {
    api: TwilioApi,
    client: ApiClient,
}

/// `{"sid":"CA…","status":"queued", …}`
#[derive(Debug, Deserialize)]
struct CreatedCall {
    sid: String,
}

impl TwilioCalls {
    pub fn new(api: TwilioApi) -> TwilioCalls {
        TwilioCalls {
            client: api.client(),
            api,
        }
    }
}

/// The TwiML Twilio runs once `first` answers: ring `second`, showing `second_sees`, and hang up
/// after the call's time limit. Carries `second`'s real number, so it goes into the request body
/// only.
fn bridge_twiml(call: &BridgeCall) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="{}" timeLimit="{}"><Number>{}</Number></Dial></Response>"#,
        escape(call.second_sees.as_str()),
        call.max_call_seconds,
        escape(call.second.expose()),
    )
}

/// Escapes an attribute or text value. Numbers are only `+` and digits, so this is a safety net;
/// `crate::providers::xml` has the same function but is private to the webhook formats.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The Calls form: ring `first` from `first_sees`, then run the bridge TwiML.
fn call_form(call: &BridgeCall) -> Vec<(&'static str, String)> {
    vec![
        ("To", call.first.expose().to_string()),
        ("From", call.first_sees.as_str().to_string()),
        ("Twiml", bridge_twiml(call)),
    ]
}

#[async_trait]
impl CallDialer for TwilioCalls {
    async fn bridge(&self, call: &BridgeCall) -> Result<PlacedCall, DialError> {
        let reply = self
            .client
            .post_form(&self.api.account_url("Calls.json"), &call_form(call))
            .await
            .map_err(|f| f.into_dial_error(PROVIDER))?;
        if !reply.is_success() {
            return Err(twilio_api::failure(&reply).into_dial_error(PROVIDER));
        }
        let created: CreatedCall = serde_json::from_str(&reply.body).map_err(|e| {
            ApiFailure::Unavailable(format!("call placed but its answer is unreadable: {e}"))
                .into_dial_error(PROVIDER)
        })?;
        info!(order_id = %call.order_id, call_sid = %created.sid, "placed Twilio bridge call");
        Ok(PlacedCall {
            call_id: created.sid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OrderId, VirtualNumber, E164};

    fn call() -> BridgeCall {
        BridgeCall {
            order_id: OrderId::parse("ORD-1").unwrap(),
            first: E164::parse("+919876500001", None).unwrap(),
            first_sees: VirtualNumber::parse("+918041000001", None).unwrap(),
            second: E164::parse("+919876400002", None).unwrap(),
            second_sees: VirtualNumber::parse("+918041000002", None).unwrap(),
            max_call_seconds: 900,
        }
    }

    #[test]
    fn twiml_dials_second_showing_their_vn() {
        assert_eq!(
            bridge_twiml(&call()),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="+918041000002" timeLimit="900"><Number>+919876400002</Number></Dial></Response>"#
        );
    }

    #[test]
    fn escape_covers_markup() {
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
    }

    #[test]
    fn form_rings_first_from_their_vn() {
        let form = call_form(&call());
        assert_eq!(form[0], ("To", "+919876500001".to_string()));
        assert_eq!(form[1], ("From", "+918041000001".to_string()));
        assert_eq!(form[2].0, "Twiml");
    }
}
