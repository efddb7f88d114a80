//! Click-to-call through Twilio: one outbound call to `first`, whose TwiML dials `second`.
//!
//! Twilio lets each leg show its own caller ID: the outbound call's `From` is what `first` sees,
//! and the `<Dial callerId>` is what `second` sees, so both parties see one of our VNs, each the
//! one that reaches the other party when called back.

use crate::public_url::public_url;
use async_trait::async_trait;
use serde::Deserialize;
use tracing::info;

use super::http::{ApiClient, ApiFailure};
use super::twilio_api::{self, TwilioApi, PROVIDER};
use crate::ports::dialer::{BridgeCall, CallDialer, DialError, PlacedCall};
use crate::providers::xml::escape;

#[derive(Debug, Clone)]
pub struct TwilioCalls {
    api: TwilioApi,
    client: ApiClient,
    /// Maskline's public base URL: when set, Twilio reports the call's outcome to
    /// `{base}/webhooks/twilio/status`, so click-to-call calls join the order's call log.
    webhook_base: Option<String>,
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
            webhook_base: None,
        }
    }

    /// Asks Twilio to report each call's final status to Maskline's status webhook.
    pub fn reporting_to(mut self, webhook_base: impl Into<String>) -> TwilioCalls {
        self.webhook_base = Some(webhook_base.into().trim_end_matches('/').to_string());
        self
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

/// The Calls form: ring `first` from `first_sees`, then run the bridge TwiML.
fn call_form(call: &BridgeCall, webhook_base: Option<&str>) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("To", call.first.expose().to_string()),
        ("From", call.first_sees.as_str().to_string()),
        ("Twiml", bridge_twiml(call)),
    ];
    if let Some(base) = webhook_base {
        let (name, value) = crate::providers::CLICK_TO_CALL_LEG;
        form.push((
            "StatusCallback",
            public_url(base, &format!("/webhooks/twilio/status?{name}={value}")),
        ));
        form.push(("StatusCallbackMethod", "POST".to_string()));
    }
    form
}

#[async_trait]
impl CallDialer for TwilioCalls {
    async fn bridge(&self, call: &BridgeCall) -> Result<PlacedCall, DialError> {
        let reply = self
            .client
            .post_form(
                &self.api.account_url("Calls.json"),
                &call_form(
                    call,
                    self.webhook_base.as_deref().or(call.served_base.as_deref()),
                ),
            )
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
            served_base: None,
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
    fn form_rings_first_from_their_vn() {
        let form = call_form(&call(), None);
        assert_eq!(form[0], ("To", "+919876500001".to_string()));
        assert_eq!(form[1], ("From", "+918041000001".to_string()));
        assert_eq!(form[2].0, "Twiml");
        assert_eq!(form.len(), 3);
        let reported = call_form(&call(), Some("https://api.example.com"));
        assert_eq!(
            reported[3],
            (
                "StatusCallback",
                "https://api.example.com/webhooks/twilio/status?leg=click-to-call".to_string()
            )
        );
    }
}
