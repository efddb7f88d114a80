//! Provider requests as the providers send them (signed the documented way), and their answers
//! decoded back into "who rings, showing which caller ID".

use lambda_http::{Body, Request};
use maskline::providers::AnswerOptions;
use maskline::providers::{plivo, twilio, HttpMethod, ProviderKind, WebhookRequest};
use maskline::webhook_config::{WebhookConfig, WebhookSecrets};
use serde_json::Value;

pub const PUBLIC_BASE: &str = "https://maskline.example.com";
pub const TWILIO_TOKEN: &str = "twilio-test-auth-token";
pub const PLIVO_TOKEN: &str = "plivo-test-auth-token";
pub const VONAGE_SECRET: &str = "vonage-test-signature-secret";
pub const PATH_TOKEN: &str = "path-token-for-tests";
pub const PLIVO_NONCE: &str = "12345678901234567890";

/// Webhook settings with every provider configured.
pub fn config() -> WebhookConfig {
    WebhookConfig {
        secrets: WebhookSecrets {
            twilio_auth_token: Some(TWILIO_TOKEN.into()),
            plivo_auth_token: Some(PLIVO_TOKEN.into()),
            vonage_signature_secret: Some(VONAGE_SECRET.into()),
            path_token: Some(PATH_TOKEN.into()),
        },
        public_base_url: Some(PUBLIC_BASE.into()),
        answer: AnswerOptions::default(),
        default_country: Some("IN".parse().unwrap()),
    }
}

fn form(params: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// `+919876500001` -> `09876500001`, as Exotel sends Indian numbers.
pub fn national(number: &str) -> String {
    format!("0{}", number.trim_start_matches("+91"))
}

fn http(method: &str, path_and_query: &str, headers: &[(&str, String)], body: String) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("host", "maskline.example.com");
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    builder
        .body(if body.is_empty() {
            Body::Empty
        } else {
            Body::Text(body)
        })
        .unwrap()
}

/// A voice (`hook` = "voice") or status (`hook` = "status") webhook from `provider` about a call
/// from `from` to `to`, signed as that provider signs. `extra` adds provider fields (status…).
pub fn provider_request(
    provider: ProviderKind,
    hook: &str,
    call_id: &str,
    from: &str,
    to: &str,
    extra: &[(&str, &str)],
) -> Request {
    let path = format!("/webhooks/{provider}/{hook}");
    match provider {
        ProviderKind::Twilio => {
            let mut params = vec![
                ("CallSid", call_id),
                ("AccountSid", "AC00000000000000000000000000000000"),
                ("From", from),
                ("To", to),
                ("Direction", "inbound"),
            ];
            params.extend_from_slice(extra);
            if !extra.iter().any(|(k, _)| *k == "CallStatus") {
                params.push(("CallStatus", "ringing"));
            }
            let owned: Vec<(String, String)> = params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let signature =
                twilio::signature(TWILIO_TOKEN, &format!("{PUBLIC_BASE}{path}"), &owned);
            http(
                "POST",
                &path,
                &[
                    ("content-type", "application/x-www-form-urlencoded".into()),
                    ("x-twilio-signature", signature),
                ],
                form(&params),
            )
        }
        ProviderKind::Plivo => {
            let mut params = vec![
                ("CallUUID", call_id),
                ("From", from.trim_start_matches('+')),
                ("To", to.trim_start_matches('+')),
                ("Direction", "inbound"),
            ];
            params.extend_from_slice(extra);
            if !extra.iter().any(|(k, _)| *k == "CallStatus") {
                params.push(("CallStatus", "ringing"));
            }
            let body = form(&params);
            let unsigned = WebhookRequest {
                method: HttpMethod::Post,
                url: format!("{PUBLIC_BASE}{path}"),
                headers: [(
                    "content-type".to_string(),
                    "application/x-www-form-urlencoded".to_string(),
                )]
                .into_iter()
                .collect(),
                body: body.clone().into_bytes(),
            };
            let signature =
                plivo::signature(PLIVO_TOKEN, &plivo::string_to_sign(&unsigned), PLIVO_NONCE);
            http(
                "POST",
                &path,
                &[
                    ("content-type", "application/x-www-form-urlencoded".into()),
                    ("x-plivo-signature-v3", signature),
                    ("x-plivo-signature-v3-nonce", PLIVO_NONCE.into()),
                ],
                body,
            )
        }
        ProviderKind::Exotel => {
            let (from, to) = (national(from), national(to));
            let mut params = vec![
                ("CallSid", call_id),
                ("CallFrom", from.as_str()),
                ("CallTo", to.as_str()),
                ("Direction", "incoming"),
            ];
            params.extend_from_slice(extra);
            params.push(("token", PATH_TOKEN));
            http(
                "GET",
                &format!("{path}?{}", form(&params)),
                &[("exotel-version", "1".into())],
                String::new(),
            )
        }
        ProviderKind::Vonage => {
            let mut params = vec![
                ("uuid", call_id),
                ("conversation_uuid", "CON-test"),
                ("from", from.trim_start_matches('+')),
                ("to", to.trim_start_matches('+')),
            ];
            params.extend_from_slice(extra);
            params.push(("token", PATH_TOKEN));
            http(
                "GET",
                &format!("{path}?{}", form(&params)),
                &[],
                String::new(),
            )
        }
    }
}

/// What an answer tells the provider to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// Ring `callee` showing `caller_id` (both E.164 with `+`).
    Connect { callee: String, caller_id: String },
    /// Refused politely (possibly forwarded to support showing the dialled VN).
    OutOfSession,
}

fn plus(n: &str) -> String {
    if n.starts_with('+') {
        n.to_string()
    } else {
        format!("+{n}")
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

pub fn decode(provider: ProviderKind, body: &str) -> Decoded {
    match provider {
        ProviderKind::Twilio | ProviderKind::Plivo => {
            if body.contains("<Say>") || body.contains("<Speak>") {
                return Decoded::OutOfSession;
            }
            Decoded::Connect {
                callee: plus(between(body, "<Number>", "</Number>").expect("a Number to dial")),
                caller_id: plus(between(body, "callerId=\"", "\"").expect("a callerId")),
            }
        }
        ProviderKind::Exotel => {
            // Out of session there is no one to dial (tests configure no support forward).
            let answer: Value = serde_json::from_str(body).unwrap();
            match answer["destination"]["numbers"][0].as_str() {
                Some(callee) => Decoded::Connect {
                    callee: callee.to_string(),
                    caller_id: answer["outgoing_phone_number"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                },
                None => Decoded::OutOfSession,
            }
        }
        ProviderKind::Vonage => {
            let ncco: Value = serde_json::from_str(body).unwrap();
            let steps = ncco.as_array().unwrap();
            if steps.iter().any(|s| s["action"] == "talk") {
                return Decoded::OutOfSession;
            }
            let connect = steps
                .iter()
                .find(|s| s["action"] == "connect")
                .expect("a connect action");
            Decoded::Connect {
                callee: plus(connect["endpoint"][0]["number"].as_str().unwrap()),
                caller_id: plus(connect["from"].as_str().unwrap()),
            }
        }
    }
}

/// The body of a lambda_http response as text.
pub fn body_text(body: &Body) -> String {
    match body {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}
