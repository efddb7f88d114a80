//! Plivo: answer URL (GET or POST) signed with signature V3, answered with Plivo XML.
//!
//! String to sign, as the official SDK builds it: `scheme://host/path`, then for GET `?` and the
//! merged parameters sorted as `k=v` joined by `&`; for POST `?` and the sorted URL query (the `?`
//! even when the query is empty but there are POST parameters), a `.` when both exist, then the
//! sorted POST parameters as `kv` with no separators. Then `.` and the nonce. HMAC-SHA256 with the
//! auth token, base64. The header may carry several comma-separated signatures; any may match.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::answer::{digits, Answer, AnswerOptions, Rendered};
use super::request::{optional_seconds, param, required, HttpMethod, WebhookRequest};
use super::xml::escape;
use super::{AuthError, BadRequest, CallStatus, InboundCall, StatusReport};

pub const SIGNATURE_HEADER: &str = "X-Plivo-Signature-V3";
pub const NONCE_HEADER: &str = "X-Plivo-Signature-V3-Nonce";

pub fn verify(request: &WebhookRequest, auth_token: &str) -> Result<(), AuthError> {
    // V3 signs a JSON body not at all (only the URL), so a captured GET's signature would vouch
    // for any JSON posted to the same URL. Plivo sends forms; refuse JSON outright.
    if request.is_json() && !request.body.is_empty() {
        return Err(AuthError::UnsignedBody);
    }
    let presented = request
        .header(SIGNATURE_HEADER)
        .ok_or(AuthError::MissingSignature(SIGNATURE_HEADER))?;
    let nonce = request
        .header(NONCE_HEADER)
        .ok_or(AuthError::MissingSignature(NONCE_HEADER))?;
    let expected = signature(auth_token, &string_to_sign(request), nonce);
    let matches = presented
        .split(',')
        .any(|candidate| bool::from(candidate.trim().as_bytes().ct_eq(expected.as_bytes())));
    if matches {
        Ok(())
    } else {
        Err(AuthError::BadSignature)
    }
}

pub fn signature(auth_token: &str, signed_url: &str, nonce: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC accepts any key length");
    mac.update(format!("{signed_url}.{nonce}").as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Parameters grouped by name, names and each name's values sorted.
fn sorted(params: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in params {
        grouped.entry(name).or_default().push(value);
    }
    for values in grouped.values_mut() {
        values.sort();
    }
    grouped
}

fn query_form(params: &BTreeMap<String, Vec<String>>) -> String {
    params
        .iter()
        .flat_map(|(k, vs)| vs.iter().map(move |v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join("&")
}

/// The URL-and-parameters part of what Plivo signs (before `.nonce`).
pub fn string_to_sign(request: &WebhookRequest) -> String {
    let base = request.url_without_query();
    let query = query_form(&sorted(request.query_params()));
    match request.method {
        HttpMethod::Get => {
            if query.is_empty() {
                base.to_string()
            } else {
                format!("{base}?{query}")
            }
        }
        HttpMethod::Post => {
            let posted = sorted(request.form_params());
            let mut signed = base.to_string();
            if !query.is_empty() || !posted.is_empty() {
                signed.push('?');
                signed.push_str(&query);
            }
            if !query.is_empty() && !posted.is_empty() {
                signed.push('.');
            }
            for (name, values) in &posted {
                for value in values {
                    signed.push_str(name);
                    signed.push_str(value);
                }
            }
            signed
        }
    }
}

pub fn parse_call(request: &WebhookRequest) -> Result<InboundCall, BadRequest> {
    let params = request.all_params()?;
    Ok(InboundCall {
        call_id: required(&params, "CallUUID")?.to_string(),
        from: required(&params, "From")?.to_string(),
        to: required(&params, "To")?.to_string(),
    })
}

pub fn parse_status(request: &WebhookRequest) -> Result<StatusReport, BadRequest> {
    let params = request.all_params()?;
    if param(&params, DIAL_ACTION).is_some() {
        return parse_dial_callback(&params);
    }
    let status = CallStatus::parse(required(&params, "CallStatus")?)
        .ok_or(BadRequest::Invalid("CallStatus"))?;
    let duration_seconds = optional_seconds(&params, &["Duration", "BillDuration"])?;
    Ok(StatusReport {
        call: parse_call(request)?,
        status,
        duration_seconds,
        parent_call_id: None,
        direction: param(&params, "Direction").map(str::to_ascii_lowercase),
    })
}

const DIAL_ACTION: &str = "DialAction";

/// Plivo's `<Dial callbackUrl>` report about the dialled (B) leg, sent to the per-call URL the
/// answer named: `DialAction` says what happened to it (`answer`, `connected`, `digits`,
/// `hangup`), and on hangup `DialBLegHangupCause` says how. Logged under the caller's call
/// (`DialALegUUID`), the id the voice webhook saw. The B leg's numbers are not read: its `To` is
/// the callee's own phone.
fn parse_dial_callback(params: &[(String, String)]) -> Result<StatusReport, BadRequest> {
    let call_id = param(params, "DialALegUUID")
        .or_else(|| param(params, "CallUUID"))
        .filter(|id| !id.is_empty())
        .ok_or(BadRequest::Missing("DialALegUUID"))?;
    let status = match required(params, DIAL_ACTION)?.to_ascii_lowercase().as_str() {
        "hangup" => hangup_status(param(params, "DialBLegHangupCause").unwrap_or_default()),
        "answer" | "connected" | "digits" => CallStatus::InProgress,
        _ => return Err(BadRequest::Invalid(DIAL_ACTION)),
    };
    Ok(StatusReport {
        call: InboundCall {
            call_id: call_id.to_string(),
            from: String::new(),
            to: String::new(),
        },
        status,
        duration_seconds: optional_seconds(params, &["DialBLegDuration", "DialBLegBillDuration"])?,
        parent_call_id: None,
        direction: Some("outbound-dial".into()),
    })
}

/// How a dialled leg that hung up ended, from its telephony hangup cause (Plivo writes the
/// standard names, `NORMAL_CLEARING`, `USER_BUSY`, …): the callee's doing (busy, declined,
/// unanswered, the caller cancelling) or a talk that ended normally; anything else is a leg the
/// network could not connect.
fn hangup_status(cause: &str) -> CallStatus {
    let cause: String = cause
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    match cause.as_str() {
        "normalclearing" | "normalhangup" => CallStatus::Completed,
        "userbusy" | "busyline" | "callrejected" | "rejected" => CallStatus::Busy,
        "noanswer" | "nouserresponse" | "noanswerbyuser" => CallStatus::NoAnswer,
        "originatorcancel" | "cancelled" | "canceled" => CallStatus::Canceled,
        _ => CallStatus::Failed,
    }
}

pub fn render(answer: &Answer, options: &AnswerOptions) -> Rendered {
    let body = match answer {
        Answer::Connect {
            callee,
            caller_id,
            callee_hears,
            dial_result_to,
            report_to,
            ..
        } => {
            // The consent notice, to the caller before the dial.
            let notice = options
                .caller_notice()
                .map_or(String::new(), |n| format!("<Speak>{}</Speak>", escape(n)));
            // How the dialled leg ended, reported to a URL naming the call (`dial_result`).
            let action = dial_result_to.as_deref().map_or(String::new(), |url| {
                format!(" action=\"{}\" method=\"POST\"", escape(url))
            });
            // The dialled leg's events, reported to a URL naming its order (`call_report`).
            let callback = report_to.as_deref().map_or(String::new(), |url| {
                format!(" callbackUrl=\"{}\" callbackMethod=\"POST\"", escape(url))
            });
            // The whisper: XML Plivo fetches and plays to the called party on answer, before
            // it bridges (`providers::whisper`).
            let confirm = callee_hears
                .as_ref()
                .and_then(|m| m.url.as_deref())
                .map_or(String::new(), |url| {
                    format!(" confirmSound=\"{}\"", escape(url))
                });
            let record = if options.record {
                format!(
                    "<Record startOnDialAnswer=\"true\" redirect=\"false\" maxLength=\"{}\"/>",
                    options.max_call_seconds
                )
            } else {
                String::new()
            };
            format!(
                "<Response>{notice}{record}<Dial{action} callerId=\"{}\" timeLimit=\"{}\" timeout=\"{}\"{confirm}{callback}><Number>{}</Number></Dial></Response>",
                escape(digits(caller_id.as_str())),
                options.max_call_seconds,
                options.ring_timeout_seconds,
                escape(digits(callee.expose())),
            )
        }
        Answer::OutOfSession { dialled } => {
            let speak = format!("<Speak>{}</Speak>", escape(&options.out_of_session_message));
            match &options.out_of_session_forward {
                Some(support) => format!(
                    "<Response>{speak}<Dial callerId=\"{}\"><Number>{}</Number></Dial></Response>",
                    escape(digits(dialled.as_str())),
                    escape(digits(support.expose()))
                ),
                None => format!("<Response>{speak}<Hangup/></Response>"),
            }
        }
    };
    Rendered {
        content_type: "application/xml",
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: HttpMethod, url: &str, body: &str) -> WebhookRequest {
        WebhookRequest {
            method,
            url: url.into(),
            headers: [(
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            )]
            .into_iter()
            .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn builds_the_string_to_sign_like_the_sdk() {
        let get = request(HttpMethod::Get, "https://h/a?b=2&a=1&a=0", "");
        assert_eq!(string_to_sign(&get), "https://h/a?a=0&a=1&b=2");
        let post_with_query = request(HttpMethod::Post, "https://h/a?q=1", "To=2&From=1");
        assert_eq!(string_to_sign(&post_with_query), "https://h/a?q=1.From1To2");
        let post_without_query = request(HttpMethod::Post, "https://h/a", "To=2&From=1");
        assert_eq!(string_to_sign(&post_without_query), "https://h/a?From1To2");
        let bare = request(HttpMethod::Post, "https://h/a", "");
        assert_eq!(string_to_sign(&bare), "https://h/a");
    }

    #[test]
    fn a_get_signature_does_not_vouch_for_a_json_body() {
        // Signed exactly as a captured GET of the same URL was: V3 covers no JSON body.
        let url = "https://h/webhooks/plivo/voice?From=1&To=2";
        let mut forged = request(HttpMethod::Post, url, r#"{"From":"3","To":"4"}"#);
        forged
            .headers
            .insert("content-type".into(), "application/json".into());
        let signed = signature("tok", &string_to_sign(&forged), "n1");
        forged
            .headers
            .insert(SIGNATURE_HEADER.to_ascii_lowercase(), signed);
        forged
            .headers
            .insert(NONCE_HEADER.to_ascii_lowercase(), "n1".into());
        assert_eq!(verify(&forged, "tok"), Err(AuthError::UnsignedBody));
    }
}
