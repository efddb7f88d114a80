//! Twilio: form-encoded voice webhooks signed with `X-Twilio-Signature`, answered with TwiML.
//!
//! Signature: base64(HMAC-SHA1(auth token, URL + every POST parameter sorted by name, as name
//! then value)). For JSON bodies the URL carries `bodySHA256` (hex SHA-256 of the body) and the
//! signature covers the URL alone. Like the official SDKs, the URL is also tried with the default
//! port added or removed, since proxies differ in whether they keep it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::answer::{Answer, AnswerOptions, Rendered};
use super::request::{optional_seconds, param, required, WebhookRequest};
use super::xml::escape;
use super::{AuthError, BadRequest, CallStatus, InboundCall, StatusReport};

pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

pub fn verify(request: &WebhookRequest, auth_token: &str) -> Result<(), AuthError> {
    let presented = request
        .header(SIGNATURE_HEADER)
        .ok_or(AuthError::MissingSignature(SIGNATURE_HEADER))?;
    let query = request.query_params();
    let signed_params = match param(&query, "bodySHA256") {
        Some(expected_hash) => {
            let actual = hex::encode(Sha256::digest(&request.body));
            if !bool::from(actual.as_bytes().ct_eq(expected_hash.as_bytes())) {
                return Err(AuthError::BadSignature);
            }
            Vec::new()
        }
        // A JSON body is covered only through bodySHA256; without it, the body is unsigned.
        None if request.is_json() && !request.body.is_empty() => {
            return Err(AuthError::UnsignedBody)
        }
        None => request.form_params(),
    };
    let matches = url_variants(&request.url).iter().any(|url| {
        let expected = signature(auth_token, url, &signed_params);
        bool::from(expected.as_bytes().ct_eq(presented.trim().as_bytes()))
    });
    if matches {
        Ok(())
    } else {
        Err(AuthError::BadSignature)
    }
}

/// The signature Twilio computes for `url` and POST `params`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut data = url.to_string();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC accepts any key length");
    mac.update(data.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The URL as given, plus the same URL with the scheme's default port added or removed.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return variants;
    };
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return variants,
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, Some(p)),
        _ => (authority, None),
    };
    match port {
        None => variants.push(format!("{scheme}://{host}:{default_port}{tail}")),
        Some(p) if p == default_port => variants.push(format!("{scheme}://{host}{tail}")),
        Some(_) => {}
    }
    variants
}

pub fn parse_call(request: &WebhookRequest) -> Result<InboundCall, BadRequest> {
    let params = request.all_params()?;
    Ok(InboundCall {
        call_id: required(&params, "CallSid")?.to_string(),
        from: required(&params, "From")?.to_string(),
        to: required(&params, "To")?.to_string(),
    })
}

pub fn parse_status(request: &WebhookRequest) -> Result<StatusReport, BadRequest> {
    let params = request.all_params()?;
    let call = parse_call(request)?;
    let status = CallStatus::parse(required(&params, "CallStatus")?)
        .ok_or(BadRequest::Invalid("CallStatus"))?;
    let duration_seconds = optional_seconds(&params, &["CallDuration"])?;
    Ok(StatusReport {
        call,
        status,
        duration_seconds,
        parent_call_id: param(&params, "ParentCallSid").map(str::to_string),
        direction: param(&params, "Direction").map(str::to_ascii_lowercase),
    })
}

pub fn render(answer: &Answer, options: &AnswerOptions) -> Rendered {
    let body = match answer {
        Answer::Connect {
            callee,
            caller_id,
            report_to,
            dial_result_to,
            callee_hears,
        } => format!(
            "<Response>{}<Dial{} callerId=\"{}\" timeLimit=\"{}\" timeout=\"{}\" record=\"{}\"><Number{}{}>{}</Number></Dial></Response>",
            // The consent notice, to the caller before the dial.
            options
                .caller_notice()
                .map_or(String::new(), |notice| format!("<Say>{}</Say>", escape(notice))),
            // How the dialled leg ended, reported to a URL naming the call (`dial_result`).
            dial_result_to.as_deref().map_or(String::new(), |url| format!(
                " action=\"{}\" method=\"POST\"",
                escape(url)
            )),
            escape(caller_id.as_str()),
            options.max_call_seconds,
            options.ring_timeout_seconds,
            if options.record { "record-from-answer" } else { "do-not-record" },
            // The dialled leg's outcome, reported to a URL naming its order (`call_report`).
            report_to.as_deref().map_or(String::new(), |url| format!(
                " statusCallback=\"{}\" statusCallbackEvent=\"completed\" statusCallbackMethod=\"POST\"",
                escape(url)
            )),
            // The whisper: TwiML Twilio fetches and plays to the callee alone on answer, before
            // it bridges (`providers::whisper`).
            callee_hears
                .as_ref()
                .and_then(|m| m.url.as_deref())
                .map_or(String::new(), |url| format!(" url=\"{}\" method=\"POST\"", escape(url))),
            escape(callee.expose()),
        ),
        Answer::OutOfSession { dialled } => {
            let say = format!("<Say>{}</Say>", escape(&options.out_of_session_message));
            match &options.out_of_session_forward {
                Some(support) => format!(
                    "<Response>{say}<Dial callerId=\"{}\"><Number>{}</Number></Dial></Response>",
                    escape(dialled.as_str()),
                    escape(support.expose())
                ),
                None => format!("<Response>{say}<Hangup/></Response>"),
            }
        }
    };
    Rendered {
        content_type: "text/xml",
        body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{body}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_body_without_body_sha256_is_unsigned() {
        let url = "https://x/webhooks/twilio/voice";
        let mut request = WebhookRequest {
            method: crate::providers::HttpMethod::Post,
            url: url.into(),
            headers: [("content-type".to_string(), "application/json".to_string())]
                .into_iter()
                .collect(),
            body: br#"{"From":"+14155550101"}"#.to_vec(),
        };
        let signed = signature("tok", url, &[]);
        request
            .headers
            .insert(SIGNATURE_HEADER.to_ascii_lowercase(), signed);
        assert_eq!(verify(&request, "tok"), Err(AuthError::UnsignedBody));
    }

    #[test]
    fn a_connect_names_its_per_call_report_url_on_the_dialled_number() {
        let answer = Answer::Connect {
            callee: crate::domain::E164::parse("+919876500002", None).unwrap(),
            caller_id: crate::domain::VirtualNumber::parse("+918041000002", None).unwrap(),
            report_to: Some("https://x/webhooks/twilio/status?order=O-1&side=customer".into()),
            dial_result_to: None,
            callee_hears: None,
        };
        let body = render(&answer, &AnswerOptions::default()).body;
        assert!(
            body.contains(
                "<Number statusCallback=\"https://x/webhooks/twilio/status?order=O-1&amp;side=customer\" statusCallbackEvent=\"completed\" statusCallbackMethod=\"POST\">+919876500002</Number>"
            ),
            "{body}"
        );
        assert_eq!(
            crate::providers::simulate::decode_report_url(
                crate::providers::ProviderKind::Twilio,
                &body
            )
            .as_deref(),
            Some("https://x/webhooks/twilio/status?order=O-1&side=customer")
        );
    }

    #[test]
    fn port_variants_match_the_sdks() {
        assert_eq!(
            url_variants("https://example.com/voice?x=1"),
            [
                "https://example.com/voice?x=1",
                "https://example.com:443/voice?x=1"
            ]
        );
        assert_eq!(
            url_variants("https://example.com:443/voice"),
            ["https://example.com:443/voice", "https://example.com/voice"]
        );
        assert_eq!(
            url_variants("http://127.0.0.1:9000/v"),
            ["http://127.0.0.1:9000/v"]
        );
    }

    #[test]
    fn parameters_are_sorted_by_name_and_concatenated() {
        let params = vec![
            ("To".to_string(), "b".to_string()),
            ("From".to_string(), "a".to_string()),
        ];
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(b"token").unwrap();
        mac.update(b"https://x/vFromaTob");
        assert_eq!(
            signature("token", "https://x/v", &params),
            STANDARD.encode(mac.finalize().into_bytes())
        );
    }
}
