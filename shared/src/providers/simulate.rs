//! The other side of the webhooks: build a provider's request exactly as that provider would sign
//! it, and read a provider-format answer back as "who rings, showing which caller ID". Used by
//! `maskctl call` (the signed-webhook simulator), the walkthrough and the tests.

use chrono::{DateTime, Utc};
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::request::{HttpMethod, WebhookRequest};
use super::WebhookSecrets;
use super::{plivo, twilio, ProviderKind};

/// The nonce the simulator sends to Plivo-signed routes (any value works; Plivo sends a fresh one).
const PLIVO_NONCE: &str = "05429567804466091622";

/// A request ready to send: `url` is absolute, `path_and_query` is what follows the base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedRequest {
    pub method: HttpMethod,
    pub url: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

fn form(params: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

fn digits(number: &str) -> &str {
    number.trim_start_matches('+')
}

/// `+919876500001` -> `09876500001`: Exotel sends Indian numbers in national format.
fn exotel_number(number: &str) -> String {
    match number.strip_prefix("+91") {
        Some(national) => format!("0{national}"),
        None => number.to_string(),
    }
}

/// One simulated webhook: `provider` tells `hook` (`voice` or `status`) about a call from `from`
/// to `to`, with `extra` provider fields (a status, a duration…).
#[derive(Debug, Clone, Copy)]
pub struct SimulatedCall<'a> {
    pub provider: ProviderKind,
    pub hook: &'a str,
    pub call_id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub extra: &'a [(&'a str, &'a str)],
}

/// What the provider signs with: the shared secrets, the URL it calls, and its clock.
#[derive(Debug, Clone, Copy)]
pub struct Signing<'a> {
    pub secrets: &'a WebhookSecrets,
    pub base_url: &'a str,
    pub now: DateTime<Utc>,
}

/// The request `call` describes, signed as its provider signs.
pub fn provider_request(
    call: &SimulatedCall,
    signing: &Signing,
) -> Result<SimulatedRequest, String> {
    let path = format!("/webhooks/{}/{}", call.provider, call.hook);
    let target = Target {
        base_url: signing.base_url.trim_end_matches('/'),
        url: format!("{}{path}", signing.base_url.trim_end_matches('/')),
        path,
    };
    match call.provider {
        ProviderKind::Twilio => twilio_request(call, signing.secrets, target),
        ProviderKind::Plivo => plivo_request(call, signing.secrets, target),
        ProviderKind::Exotel => exotel_request(call, signing.secrets, target),
        ProviderKind::Vonage => vonage_request(call, signing, target),
    }
}

/// Where a simulated request goes.
struct Target<'a> {
    base_url: &'a str,
    /// The webhook's path, `/webhooks/{provider}/{hook}`.
    path: String,
    /// The base and the path: what signatures over the URL cover.
    url: String,
}

/// A provider signs with its current secret: the first of a rotation list.
fn current_secret(
    secret: &Option<String>,
    name: &str,
    provider: ProviderKind,
) -> Result<String, String> {
    secret
        .as_deref()
        .map(|s| super::secret_list::current(s).to_string())
        .ok_or_else(|| format!("{name} is needed to sign a {provider} request"))
}

fn has(extra: &[(&str, &str)], name: &str) -> bool {
    extra.iter().any(|(k, _)| *k == name)
}

fn form_type() -> (String, String) {
    (
        "content-type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )
}

/// A form POST signed over the URL and its parameters (`X-Twilio-Signature`).
fn twilio_request(
    call: &SimulatedCall,
    secrets: &WebhookSecrets,
    target: Target,
) -> Result<SimulatedRequest, String> {
    let mut params = vec![
        ("CallSid", call.call_id),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", call.from),
        ("To", call.to),
    ];
    params.extend_from_slice(call.extra);
    if !has(call.extra, "Direction") {
        params.push(("Direction", "inbound"));
    }
    if !has(call.extra, "CallStatus") {
        params.push(("CallStatus", "ringing"));
    }
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let token = current_secret(
        &secrets.twilio_auth_token,
        "TWILIO_AUTH_TOKEN",
        call.provider,
    )?;
    let signature = twilio::signature(&token, &target.url, &owned);
    Ok(SimulatedRequest {
        method: HttpMethod::Post,
        url: target.url,
        path_and_query: target.path,
        headers: vec![form_type(), ("x-twilio-signature".into(), signature)],
        body: form(&params),
    })
}

/// A form POST with numbers as digits, signed V3 over URL, body and a nonce.
fn plivo_request(
    call: &SimulatedCall,
    secrets: &WebhookSecrets,
    target: Target,
) -> Result<SimulatedRequest, String> {
    let mut params = vec![
        ("CallUUID", call.call_id),
        ("From", digits(call.from)),
        ("To", digits(call.to)),
        ("Direction", "inbound"),
    ];
    params.extend_from_slice(call.extra);
    if !has(call.extra, "CallStatus") {
        params.push(("CallStatus", "ringing"));
    }
    let body = form(&params);
    let unsigned = WebhookRequest {
        method: HttpMethod::Post,
        url: target.url.clone(),
        headers: [form_type()].into_iter().collect(),
        body: body.clone().into_bytes(),
    };
    let token = current_secret(&secrets.plivo_auth_token, "PLIVO_AUTH_TOKEN", call.provider)?;
    let signature = plivo::signature(&token, &plivo::string_to_sign(&unsigned), PLIVO_NONCE);
    Ok(SimulatedRequest {
        method: HttpMethod::Post,
        url: target.url,
        path_and_query: target.path,
        headers: vec![
            form_type(),
            ("x-plivo-signature-v3".into(), signature),
            ("x-plivo-signature-v3-nonce".into(), PLIVO_NONCE.into()),
        ],
        body,
    })
}

/// A GET with national numbers and the secret token in the query: Exotel signs nothing.
fn exotel_request(
    call: &SimulatedCall,
    secrets: &WebhookSecrets,
    target: Target,
) -> Result<SimulatedRequest, String> {
    let (from, to) = (exotel_number(call.from), exotel_number(call.to));
    let token = current_secret(&secrets.exotel_token, "EXOTEL_WEBHOOK_TOKEN", call.provider)?;
    let mut params = vec![
        ("CallSid", call.call_id),
        ("CallFrom", from.as_str()),
        ("CallTo", to.as_str()),
        ("Direction", "incoming"),
    ];
    params.extend_from_slice(call.extra);
    params.push(("token", token.as_str()));
    let path_and_query = format!("{}?{}", target.path, form(&params));
    Ok(SimulatedRequest {
        method: HttpMethod::Get,
        url: format!("{}{path_and_query}", target.base_url),
        path_and_query,
        headers: vec![("exotel-version".into(), "1".into())],
        body: String::new(),
    })
}

/// A JSON POST with the path token; with a signature secret, a signed JWT over the body's hash.
fn vonage_request(
    call: &SimulatedCall,
    signing: &Signing,
    target: Target,
) -> Result<SimulatedRequest, String> {
    let secrets = signing.secrets;
    let token = current_secret(&secrets.vonage_token, "VONAGE_WEBHOOK_TOKEN", call.provider)?;
    let path_and_query = format!("{}?{}", target.path, form(&[("token", token.as_str())]));
    let mut fields = serde_json::Map::new();
    fields.insert("uuid".into(), json!(call.call_id));
    fields.insert(
        "conversation_uuid".into(),
        json!(format!("CON-{}", call.call_id)),
    );
    fields.insert("from".into(), json!(digits(call.from)));
    fields.insert("to".into(), json!(digits(call.to)));
    for (k, v) in call.extra {
        fields.insert(k.to_string(), json!(v));
    }
    let body = Value::Object(fields).to_string();
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    // Vonage signs when the account enables signed webhooks; without a secret we send what an
    // unsigned answer webhook looks like (the path token alone).
    if let Some(secret) = &secrets.vonage_signature_secret {
        let jwt = vonage_jwt(call.call_id, &body, secret, signing.now)?;
        headers.push(("authorization".into(), format!("Bearer {jwt}")));
    }
    Ok(SimulatedRequest {
        method: HttpMethod::Post,
        url: format!("{}{path_and_query}", target.base_url),
        path_and_query,
        headers,
        body,
    })
}

/// The provider fetching a whisper `url` its answer named, on the callee's answer, signed as it
/// signs: Twilio and Plivo a form POST over the URL (query included); Vonage a GET of the URL as
/// given (its token and seal are in it). Exotel fetches no whisper.
pub fn whisper_request(
    provider: ProviderKind,
    url: &str,
    secrets: &WebhookSecrets,
    call_id: &str,
) -> Result<SimulatedRequest, String> {
    match provider {
        ProviderKind::Twilio => signed_form_post(
            provider,
            url,
            &[
                ("CallSid", call_id),
                ("AccountSid", "AC00000000000000000000000000000000"),
                ("CallStatus", "in-progress"),
                ("Direction", "outbound-dial"),
            ],
            secrets,
        ),
        ProviderKind::Plivo => signed_form_post(
            provider,
            url,
            &[("CallUUID", call_id), ("Direction", "outbound")],
            secrets,
        ),
        ProviderKind::Vonage => Ok(SimulatedRequest {
            method: HttpMethod::Get,
            url: url.to_string(),
            path_and_query: path_and_query(url)?,
            headers: Vec::new(),
            body: String::new(),
        }),
        ProviderKind::Exotel => {
            Err("Exotel fetches no whisper: its answer carries the text".into())
        }
    }
}

/// The provider reporting how a forwarded leg ended to the dial-result `url` its answer named,
/// signed as it signs: Twilio's `<Dial action>` and Plivo's a form POST over the URL (query
/// included) with `DialCallStatus` / `DialStatus`; Vonage's synchronous connect event a JSON POST
/// (`status`) to the URL as given (its token and seal are in it), with a signed JWT over the body.
/// Exotel re-fetches its voice URL instead (a voice request carrying `DialCallStatus`).
pub fn dial_result_request(
    provider: ProviderKind,
    url: &str,
    secrets: &WebhookSecrets,
    call_id: &str,
    status: &str,
    now: DateTime<Utc>,
) -> Result<SimulatedRequest, String> {
    match provider {
        ProviderKind::Twilio => signed_form_post(
            provider,
            url,
            &[
                ("CallSid", call_id),
                ("AccountSid", "AC00000000000000000000000000000000"),
                ("CallStatus", "in-progress"),
                ("DialCallStatus", status),
                ("DialCallSid", "CA-dialled-leg"),
            ],
            secrets,
        ),
        ProviderKind::Plivo => signed_form_post(
            provider,
            url,
            &[
                ("CallUUID", call_id),
                ("DialStatus", status),
                ("DialALegUUID", call_id),
            ],
            secrets,
        ),
        ProviderKind::Vonage => {
            let body = json!({
                "uuid": call_id,
                "conversation_uuid": format!("CON-{call_id}"),
                "status": status,
                "direction": "outbound",
            })
            .to_string();
            let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
            if let Some(secret) = &secrets.vonage_signature_secret {
                let jwt = vonage_jwt(call_id, &body, secret, now)?;
                headers.push(("authorization".into(), format!("Bearer {jwt}")));
            }
            Ok(SimulatedRequest {
                method: HttpMethod::Post,
                url: url.to_string(),
                path_and_query: path_and_query(url)?,
                headers,
                body,
            })
        }
        ProviderKind::Exotel => {
            Err("Exotel re-fetches its voice URL: a voice request with DialCallStatus".into())
        }
    }
}

/// The path and query of an absolute URL, as API Gateway passes them on.
fn path_and_query(url: &str) -> Result<String, String> {
    url.split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| rest[at..].to_string()))
        .ok_or_else(|| format!("not an absolute URL: {url}"))
}

/// A form POST of `params` to `url`, signed as Twilio (over the URL and sorted params) or Plivo
/// (V3, over the URL, body and a nonce) sign their callbacks.
fn signed_form_post(
    provider: ProviderKind,
    url: &str,
    params: &[(&str, &str)],
    secrets: &WebhookSecrets,
) -> Result<SimulatedRequest, String> {
    let signature_headers = match provider {
        ProviderKind::Twilio => {
            let owned: Vec<(String, String)> = params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let token = current_secret(&secrets.twilio_auth_token, "TWILIO_AUTH_TOKEN", provider)?;
            vec![(
                "x-twilio-signature".to_string(),
                twilio::signature(&token, url, &owned),
            )]
        }
        ProviderKind::Plivo => {
            let unsigned = WebhookRequest {
                method: HttpMethod::Post,
                url: url.to_string(),
                headers: [form_type()].into_iter().collect(),
                body: form(params).into_bytes(),
            };
            let token = current_secret(&secrets.plivo_auth_token, "PLIVO_AUTH_TOKEN", provider)?;
            let signature =
                plivo::signature(&token, &plivo::string_to_sign(&unsigned), PLIVO_NONCE);
            vec![
                ("x-plivo-signature-v3".to_string(), signature),
                ("x-plivo-signature-v3-nonce".to_string(), PLIVO_NONCE.into()),
            ]
        }
        other => return Err(format!("{other} does not sign a form POST")),
    };
    Ok(SimulatedRequest {
        method: HttpMethod::Post,
        url: url.to_string(),
        path_and_query: path_and_query(url)?,
        headers: std::iter::once(form_type())
            .chain(signature_headers)
            .collect(),
        body: form(params),
    })
}

/// The JWT Vonage signs a webhook with: its claims and the SHA-256 of the body.
fn vonage_jwt(
    call_id: &str,
    body: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let claims = json!({
        "iat": now.timestamp(),
        // Vonage gives every token its own id, which Maskline accepts once.
        "jti": format!("sim-{call_id}-{}", uuid::Uuid::new_v4()),
        "iss": "Vonage",
        "api_key": "simulated",
        "application_id": "simulated",
        "payload_hash": hex::encode(Sha256::digest(body.as_bytes())),
    });
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(super::secret_list::current(secret).as_bytes()),
    )
    .map_err(|e| format!("cannot sign the Vonage JWT: {e}"))
}

/// What an answer tells the provider to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodedAnswer {
    /// Ring `callee`, showing `caller_id` (both E.164 with `+`).
    Connect { callee: String, caller_id: String },
    /// A polite refusal (possibly forwarded to a support line).
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

/// Where a connecting answer asks the provider to report this call's outcome (Twilio's
/// `<Number statusCallback>`), as the provider will request it.
pub fn decode_report_url(provider: ProviderKind, body: &str) -> Option<String> {
    if provider != ProviderKind::Twilio {
        return None;
    }
    let number = between(body, "<Number", ">")?;
    let url = between(number, "statusCallback=\"", "\"")?;
    Some(url.replace("&amp;", "&"))
}

/// Where a connecting answer asks the provider to report how the forwarded leg ended (Twilio's
/// and Plivo's `<Dial action>`), as the provider will request it. Vonage's and Exotel's are read
/// by the tests' call oracle (`maskline_tests::call_oracle::dial_result_url`).
pub fn decode_dial_result_url(provider: ProviderKind, body: &str) -> Option<String> {
    if !matches!(provider, ProviderKind::Twilio | ProviderKind::Plivo) {
        return None;
    }
    let dial = between(body, "<Dial", ">")?;
    let url = between(dial, " action=\"", "\"")?;
    Some(url.replace("&amp;", "&"))
}

/// Where a connecting answer has the provider fetch the callee's whisper (Twilio's
/// `<Number url>`, Plivo's `confirmSound`, Vonage's `onAnswer`), as the provider will request it;
/// Exotel has none (its text is in the answer).
pub fn decode_whisper_url(provider: ProviderKind, body: &str) -> Option<String> {
    let url = match provider {
        ProviderKind::Twilio => {
            between(between(body, "<Number", ">")?, " url=\"", "\"")?.to_string()
        }
        ProviderKind::Plivo => between(body, "confirmSound=\"", "\"")?.to_string(),
        ProviderKind::Vonage => {
            let ncco: Value = serde_json::from_str(body).ok()?;
            ncco.as_array()?.iter().find(|s| s["action"] == "connect")?["endpoint"][0]["onAnswer"]
                ["url"]
                .as_str()?
                .to_string()
        }
        ProviderKind::Exotel => return None,
    };
    Some(url.replace("&amp;", "&"))
}

/// Reads a provider-format answer back.
pub fn decode_answer(provider: ProviderKind, body: &str) -> Result<DecodedAnswer, String> {
    let unreadable = || format!("not a {provider} answer: {body}");
    match provider {
        ProviderKind::Twilio | ProviderKind::Plivo => {
            // Nothing dialled: a refusal. (An answer may speak first, the consent notice of a
            // recorded call; a forward to the support line reads as a connection to it.)
            if !body.contains("<Dial") {
                return Ok(DecodedAnswer::OutOfSession);
            }
            // `<Number>` may carry attributes (Twilio's per-call status callback).
            let number = between(body, "<Number", "</Number>")
                .and_then(|n| n.split_once('>'))
                .map(|(_, callee)| callee)
                .ok_or_else(unreadable)?;
            Ok(DecodedAnswer::Connect {
                callee: plus(number),
                caller_id: plus(between(body, "callerId=\"", "\"").ok_or_else(unreadable)?),
            })
        }
        ProviderKind::Exotel => {
            let answer: Value = serde_json::from_str(body).map_err(|_| unreadable())?;
            match answer["destination"]["numbers"][0].as_str() {
                // Out of session there is no one to dial (unless a support line is configured,
                // which this reads as a connection to that line).
                None => Ok(DecodedAnswer::OutOfSession),
                Some(callee) => Ok(DecodedAnswer::Connect {
                    callee: callee.to_string(),
                    caller_id: answer["outgoing_phone_number"]
                        .as_str()
                        .ok_or_else(unreadable)?
                        .to_string(),
                }),
            }
        }
        ProviderKind::Vonage => {
            let ncco: Value = serde_json::from_str(body).map_err(|_| unreadable())?;
            let steps = ncco.as_array().ok_or_else(unreadable)?;
            let Some(connect) = steps.iter().find(|s| s["action"] == "connect") else {
                return Ok(DecodedAnswer::OutOfSession);
            };
            Ok(DecodedAnswer::Connect {
                callee: plus(
                    connect["endpoint"][0]["number"]
                        .as_str()
                        .ok_or_else(unreadable)?,
                ),
                caller_id: plus(connect["from"].as_str().ok_or_else(unreadable)?),
            })
        }
    }
}
