//! Vonage: answer webhook (GET query or POST JSON), answered with an NCCO.
//!
//! The answer URL always carries the secret token. With the account's signature secret configured
//! (signed webhooks on), the request must also carry `Authorization: Bearer <JWT>` (HS256 with that
//! secret), recent, and with a body, a `payload_hash` matching the body's SHA-256.

use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::answer::{digits, Answer, AnswerOptions, Rendered};
use super::request::{optional_seconds, param, required, HttpMethod, WebhookRequest};
use super::{AuthError, BadRequest, CallStatus, InboundCall, StatusReport};

/// How old a signed request may be (replay protection; allows for clock skew).
pub const MAX_TOKEN_AGE_SECONDS: i64 = 300;

#[derive(Debug, Deserialize)]
struct Claims {
    iat: i64,
    #[serde(default)]
    payload_hash: Option<String>,
}

/// Verifies the `Authorization: Bearer` JWT, which must be there.
pub fn verify_signed_jwt(
    request: &WebhookRequest,
    signature_secret: &str,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    // A GET's parameters are all in its query, which the JWT does not cover: a JWT captured
    // from any webhook of the account would let anyone choose them.
    if request.method == HttpMethod::Get {
        return Err(AuthError::BadJwt(
            "a GET is not covered by the signature: set the answer method to POST".into(),
        ));
    }
    let header = request
        .header("authorization")
        .ok_or_else(|| AuthError::BadJwt("no signed JWT".into()))?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| AuthError::BadJwt("not a Bearer token".into()))?
        .trim();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = decode::<Claims>(
        token,
        &DecodingKey::from_secret(signature_secret.as_bytes()),
        &validation,
    )
    .map_err(|e| AuthError::BadJwt(e.kind_name()))?
    .claims;
    if (now.timestamp() - claims.iat).abs() > MAX_TOKEN_AGE_SECONDS {
        return Err(AuthError::BadJwt("issued too long ago".into()));
    }
    // The JWT signs the body only through payload_hash: without it, any body would pass.
    let expected = match claims.payload_hash {
        Some(hash) => hash,
        None if request.body.is_empty() => return Ok(()),
        None => {
            return Err(AuthError::BadJwt(
                "a request with a body must carry payload_hash".into(),
            ))
        }
    };
    let actual = hex::encode(Sha256::digest(&request.body));
    if !bool::from(
        actual
            .as_bytes()
            .ct_eq(expected.to_ascii_lowercase().as_bytes()),
    ) {
        return Err(AuthError::BadJwt(
            "payload_hash does not match the body".into(),
        ));
    }
    Ok(())
}

/// The `jti` of the request's bearer JWT: the id Vonage gives each token, which Maskline
/// remembers for the token's lifetime so a captured request cannot be sent again (see
/// `services::single_use_jwt`). Read without checking the signature, so only meaningful once
/// [`verify_signed_jwt`] accepted the request; `None` when there is no JWT or it names no id.
pub fn signed_jwt_id(request: &WebhookRequest) -> Option<String> {
    use base64::Engine;
    #[derive(Deserialize)]
    struct Id {
        jti: Option<String>,
    }
    let header = request.header("authorization")?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))?
        .trim();
    let payload = token.split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice::<Id>(&json)
        .ok()?
        .jti
        .filter(|id| !id.is_empty())
}

trait KindName {
    fn kind_name(&self) -> String;
}

impl KindName for jsonwebtoken::errors::Error {
    fn kind_name(&self) -> String {
        format!("{:?}", self.kind())
    }
}

/// The parameters Maskline acts on: what the signature covers. A POST's JSON body is covered
/// by the JWT's `payload_hash`, its query is not, so the query may carry the path token and
/// nothing else (a `from`, `to` or `uuid` there would override the signed body). A GET carries
/// everything in its query, which no signature covers: signed mode refuses GETs (see
/// [`verify_signed_jwt`]); unsigned deployments rest on the path token alone, as documented.
pub fn covered_params(request: &WebhookRequest) -> Result<Vec<(String, String)>, BadRequest> {
    if request.method == HttpMethod::Get {
        return Ok(request.query_params());
    }
    if request
        .query_params()
        .iter()
        .any(|(name, _)| name != "token")
    {
        return Err(BadRequest::Invalid(
            "query (a POST's query may carry only the token)",
        ));
    }
    let params = request.all_params()?;
    Ok(params
        .into_iter()
        .filter(|(name, _)| name != "token")
        .collect())
}

pub fn parse_call(request: &WebhookRequest) -> Result<InboundCall, BadRequest> {
    let params = covered_params(request)?;
    Ok(InboundCall {
        call_id: required(&params, "uuid")?.to_string(),
        from: plus(required(&params, "from")?),
        to: plus(required(&params, "to")?),
    })
}

pub fn parse_status(request: &WebhookRequest) -> Result<StatusReport, BadRequest> {
    let params = covered_params(request)?;
    let status =
        CallStatus::parse(required(&params, "status")?).ok_or(BadRequest::Invalid("status"))?;
    let duration_seconds = optional_seconds(&params, &["duration"])?;
    Ok(StatusReport {
        call: parse_call(request)?,
        status,
        duration_seconds,
        parent_call_id: None,
        direction: param(&params, "direction").map(str::to_ascii_lowercase),
    })
}

/// Vonage writes international numbers without the `+`.
fn plus(number: &str) -> String {
    if number.starts_with('+') || !number.chars().all(|c| c.is_ascii_digit()) {
        number.to_string()
    } else {
        format!("+{number}")
    }
}

pub fn render(answer: &Answer, options: &AnswerOptions) -> Rendered {
    let connect = |from: &str, to: &str, limit: u32| {
        serde_json::json!({
            "action": "connect",
            "from": digits(from),
            "timeout": options.ring_timeout_seconds,
            "limit": limit,
            "endpoint": [{"type": "phone", "number": digits(to)}],
        })
    };
    let mut ncco = Vec::new();
    match answer {
        Answer::Connect {
            callee,
            caller_id,
            callee_hears,
            dial_result_to,
            ..
        } => {
            // The consent notice, to the caller before the dial.
            if let Some(notice) = options.caller_notice() {
                ncco.push(serde_json::json!({"action": "talk", "text": notice}));
            }
            if options.record {
                ncco.push(serde_json::json!({"action": "record"}));
            }
            let mut dial = connect(
                caller_id.as_str(),
                callee.expose(),
                options.max_call_seconds,
            );
            // The whisper: an NCCO Vonage fetches and runs for the callee on answer, before it
            // joins them to the call (`providers::whisper`).
            if let Some(url) = callee_hears.as_ref().and_then(|m| m.url.as_deref()) {
                dial["endpoint"][0]["onAnswer"] = serde_json::json!({"url": url});
            }
            // How the dialled leg ended: a synchronous connect tells its event URL, whose NCCO
            // replaces this one when the leg failed (`dial_result`).
            if let Some(url) = dial_result_to {
                dial["eventType"] = serde_json::json!("synchronous");
                dial["eventUrl"] = serde_json::json!([url]);
                dial["eventMethod"] = serde_json::json!("POST");
            }
            ncco.push(dial);
        }
        Answer::OutOfSession { dialled } => {
            ncco.push(
                serde_json::json!({"action": "talk", "text": options.out_of_session_message}),
            );
            if let Some(support) = &options.out_of_session_forward {
                ncco.push(connect(
                    dialled.as_str(),
                    support.expose(),
                    options.max_call_seconds,
                ));
            }
        }
    }
    Rendered {
        content_type: "application/json",
        body: serde_json::Value::Array(ncco).to_string(),
    }
}
