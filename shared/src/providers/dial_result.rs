//! The forward leg's result: the answer that connects a call asks the provider to report how the
//! dialled leg ended, so a leg that failed (the operator could not connect it: not busy, not
//! unanswered) can be tried once more, presented from the callee's backup VN.
//!
//! Each provider's own mechanism, and what it reports as a failed leg:
//!
//! | provider | mechanism | failed leg |
//! |---|---|---|
//! | Twilio | `<Dial action>` (POST, signed like every Twilio webhook, query included) | `DialCallStatus=failed` |
//! | Plivo | `<Dial action>` (POST, signature V3 over the URL, query included) | `DialStatus=failed`, or `timeout` (Plivo's "timeout while connecting", a carrier or network fault; an unanswered leg is `no-answer`) |
//! | Vonage | `connect` with `eventType: synchronous` and an `eventUrl`: its answer replaces the NCCO | `status` `failed` or `rejected` |
//! | Exotel | Connect applet `fetch_after_attempt: true`: Exotel fetches the applet's own URL (the voice URL) again after the attempt | `DialCallStatus=failed` |
//!
//! The dial-result URL names the call (order, calling side, dialled VN) and how many retries it
//! has had, never a phone number. Twilio and Plivo sign the URL they call. Vonage's JWT covers a
//! body, not the URL, so its dial-result URL carries the path token and, with
//! `VONAGE_SIGNATURE_SECRET` set, a `seal` (HMAC-SHA256 with that secret) over those values, as
//! the whisper URL does. Exotel re-fetches the voice URL, which can name nothing per call: the call
//! is found again through its binding, and the retry's answer asks for no further fetch.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::answer::Rendered;
use super::request::{optional_seconds, param, HttpMethod, WebhookRequest};
use super::secret_list::{current, verify_any};
use super::secret_token::TOKEN_PARAM;
use super::{authenticate, AuthError, BadRequest, CallStatus, ProviderKind, WebhookSecrets};
use crate::domain::{OrderId, Side, VirtualNumber};

/// The hook name: `/webhooks/{provider}/dial-result`.
pub const HOOK: &str = "dial-result";
const ORDER: &str = "order";
const SIDE: &str = "side";
const VN: &str = "vn";
const ATTEMPT: &str = "attempt";
const SEAL: &str = "seal";

/// Forwards a call may have after its first: one retry on the backup.
pub const MAX_RETRIES: u8 = 1;

/// Whether `provider` calls a dial-result URL of its own (all but Exotel, which re-fetches the
/// voice URL after the attempt).
pub fn has_route(provider: ProviderKind) -> bool {
    provider != ProviderKind::Exotel
}

/// The methods each provider calls its dial-result URL with: Twilio's and Plivo's `<Dial
/// method>` and Vonage's `eventMethod`, all set to POST by the answer.
pub fn methods(provider: ProviderKind) -> &'static [HttpMethod] {
    if has_route(provider) {
        &[HttpMethod::Post]
    } else {
        &[]
    }
}

/// Which forward of which call a dial result is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialedLeg {
    pub order_id: OrderId,
    /// Who called: the binding's caller side.
    pub caller_side: Side,
    /// The VN the caller dialled.
    pub dialled: VirtualNumber,
    /// Retries before this forward: 0 for the first, 1 for the retry on the backup.
    pub retries: u8,
}

fn seal(secret: &str, leg: &DialedLeg) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(
        format!(
            "{}\n{}\n{}\n{}",
            leg.order_id.as_str(),
            leg.caller_side.as_str(),
            leg.dialled.as_str(),
            leg.retries
        )
        .as_bytes(),
    );
    hex::encode(mac.finalize().into_bytes())
}

/// The URL `provider` reports `leg`'s result to, from `route`. Vonage's carries the path token
/// and, with a signature secret, the seal (made with the current secret of each list).
pub fn url(
    route: &str,
    provider: ProviderKind,
    leg: &DialedLeg,
    secrets: &WebhookSecrets,
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair(ORDER, leg.order_id.as_str())
        .append_pair(SIDE, leg.caller_side.as_str())
        .append_pair(VN, leg.dialled.as_str())
        .append_pair(ATTEMPT, &leg.retries.to_string());
    if provider == ProviderKind::Vonage {
        if let Some(secret) = &secrets.vonage_signature_secret {
            query.append_pair(SEAL, &seal(current(secret), leg));
        }
        if let Some(token) = &secrets.vonage_token {
            query.append_pair(TOKEN_PARAM, current(token));
        }
    }
    format!("{route}?{}", query.finish())
}

/// The leg a dial-result request names (its query), refused when unreadable.
pub fn parse_leg(request: &WebhookRequest) -> Result<DialedLeg, BadRequest> {
    let query = request.query_params();
    let order_id = param(&query, ORDER)
        .and_then(|o| OrderId::parse(o).ok())
        .ok_or(BadRequest::Invalid(ORDER))?;
    let caller_side = param(&query, SIDE)
        .and_then(Side::parse)
        .ok_or(BadRequest::Invalid(SIDE))?;
    let dialled = param(&query, VN)
        .and_then(|v| VirtualNumber::parse(v, None).ok())
        .ok_or(BadRequest::Invalid(VN))?;
    let retries = param(&query, ATTEMPT)
        .and_then(|a| a.parse::<u8>().ok())
        .filter(|a| *a <= MAX_RETRIES)
        .ok_or(BadRequest::Invalid(ATTEMPT))?;
    Ok(DialedLeg {
        order_id,
        caller_side,
        dialled,
        retries,
    })
}

/// Whether the dial-result request came from the provider. Twilio and Plivo: their signature
/// over the URL and body, as every webhook of theirs. Vonage: the path token and its signed JWT
/// (over the body), and with a signature secret the seal over what the route acts on (any
/// listed secret verifies, for rotation).
pub fn authenticate_dial_result(
    provider: ProviderKind,
    request: &WebhookRequest,
    secrets: &WebhookSecrets,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    authenticate(provider, request, secrets, now)?;
    if provider != ProviderKind::Vonage {
        return Ok(());
    }
    let Some(list) = &secrets.vonage_signature_secret else {
        return Ok(());
    };
    let leg = parse_leg(request).map_err(|_| AuthError::BadSignature)?;
    let presented = param(&request.query_params(), SEAL)
        .map(str::to_string)
        .ok_or(AuthError::MissingSignature("seal"))?;
    verify_any(
        list,
        AuthError::NotConfigured("VONAGE_SIGNATURE_SECRET", provider),
        |secret| {
            let expected = seal(secret, &leg);
            if bool::from(expected.as_bytes().ct_eq(presented.as_bytes())) {
                Ok(())
            } else {
                Err(AuthError::BadSignature)
            }
        },
    )
}

/// How the forwarded leg ended, as the provider reports it, and the call id the report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegResult {
    pub call_id: String,
    pub status: CallStatus,
    /// The dialled leg's talk time, where reported (Vonage's `duration`).
    pub duration_seconds: Option<u32>,
}

/// The provider's report of the forwarded leg. Vonage's synchronous event URL also hears the
/// leg's progress (`started`, `ringing`, `answered`): those are not final.
pub fn parse_result(
    provider: ProviderKind,
    request: &WebhookRequest,
) -> Result<LegResult, BadRequest> {
    let (id_field, status_field) = match provider {
        ProviderKind::Twilio => ("CallSid", "DialCallStatus"),
        ProviderKind::Plivo => ("CallUUID", "DialStatus"),
        ProviderKind::Exotel => ("CallSid", "DialCallStatus"),
        ProviderKind::Vonage => ("uuid", "status"),
    };
    let params = match provider {
        // Vonage's JWT covers the body only: read the leg's fields from there, never the query.
        ProviderKind::Vonage => match request.json_body()? {
            Some(serde_json::Value::Object(map)) => map
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string())))
                .collect(),
            _ => return Err(BadRequest::Body("JSON object")),
        },
        _ => request.all_params()?,
    };
    let call_id = param(&params, id_field)
        .filter(|id| !id.is_empty())
        .ok_or(BadRequest::Missing(id_field))?
        .to_string();
    let raw = param(&params, status_field).ok_or(BadRequest::Missing(status_field))?;
    let status = leg_status(provider, raw).ok_or(BadRequest::Invalid(status_field))?;
    let duration_seconds = optional_seconds(
        &params,
        &["duration", "DialCallDuration", "DialBLegDuration"],
    )?;
    Ok(LegResult {
        call_id,
        status,
        duration_seconds,
    })
}

/// One provider's word for how a dialled leg ended. Plivo's `timeout` is its carrier or network
/// timeout while connecting (an unanswered leg is `no-answer`), so it is a failed leg; Vonage's
/// `timeout` is its ring timeout (unanswered).
fn leg_status(provider: ProviderKind, raw: &str) -> Option<CallStatus> {
    let raw = raw.trim().to_ascii_lowercase();
    match (provider, raw.as_str()) {
        (ProviderKind::Plivo, "timeout") => Some(CallStatus::Failed),
        (ProviderKind::Plivo, "cancel") => Some(CallStatus::Canceled),
        _ => CallStatus::parse(&raw),
    }
}

/// Whether an Exotel voice request is its re-fetch after an attempt (`fetch_after_attempt`): it
/// carries the attempt's outcome.
pub fn is_exotel_refetch(provider: ProviderKind, request: &WebhookRequest) -> bool {
    provider == ProviderKind::Exotel
        && request
            .all_params()
            .map(|params| param(&params, "DialCallStatus").is_some_and(|s| !s.trim().is_empty()))
            .unwrap_or(false)
}

/// The answer that lets a call end as it did (the leg was busy, unanswered, or talked and hung
/// up): nothing more to do. Exotel: no one more to dial, and no further fetch.
pub fn render_end(provider: ProviderKind) -> Rendered {
    match provider {
        ProviderKind::Twilio => Rendered {
            content_type: "text/xml",
            body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>".into(),
        },
        ProviderKind::Plivo => Rendered {
            content_type: "application/xml",
            body: "<Response><Hangup/></Response>".into(),
        },
        ProviderKind::Vonage => Rendered {
            content_type: "application/json",
            body: "[]".into(),
        },
        ProviderKind::Exotel => Rendered {
            content_type: "application/json",
            body: serde_json::json!({
                "fetch_after_attempt": false,
                "destination": {"numbers": []},
            })
            .to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::public_url::route_beside;

    fn leg(retries: u8) -> DialedLeg {
        DialedLeg {
            order_id: OrderId::parse("ORD-4821").unwrap(),
            caller_side: Side::Customer,
            dialled: VirtualNumber::parse("+918041000001", None).unwrap(),
            retries,
        }
    }

    fn post(url: String, body: &str) -> WebhookRequest {
        WebhookRequest {
            method: HttpMethod::Post,
            url,
            headers: [("content-type".to_string(), "application/json".to_string())]
                .into_iter()
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_url_names_the_call_and_its_attempt_and_reads_back() {
        let route = route_beside("https://x/prod/webhooks/twilio/voice?a=1", HOOK).unwrap();
        let url = url(
            &route,
            ProviderKind::Twilio,
            &leg(0),
            &WebhookSecrets::default(),
        );
        assert_eq!(
            url,
            "https://x/prod/webhooks/twilio/dial-result?order=ORD-4821&side=customer&vn=%2B918041000001&attempt=0"
        );
        assert_eq!(parse_leg(&post(url.clone(), "")), Ok(leg(0)));
        let beyond = url.replace("attempt=0", "attempt=2");
        assert_eq!(
            parse_leg(&post(beyond, "")),
            Err(BadRequest::Invalid(ATTEMPT))
        );
    }

    #[test]
    fn a_vonage_dial_result_is_sealed_and_a_changed_attempt_is_refused() {
        let secrets = WebhookSecrets {
            vonage_token: Some("tok".into()),
            vonage_signature_secret: Some("sig".into()),
            ..WebhookSecrets::default()
        };
        let sealed = url(
            "https://x/webhooks/vonage/dial-result",
            ProviderKind::Vonage,
            &leg(0),
            &secrets,
        );
        let leg_of = |url: &str| parse_leg(&post(url.to_string(), "{}"));
        assert_eq!(leg_of(&sealed), Ok(leg(0)));
        // The seal covers the attempt: resetting it to 0 after the retry is refused.
        let check = |url: String| {
            let request = post(url, "{}");
            let leg = parse_leg(&request).unwrap();
            let presented = param(&request.query_params(), SEAL).unwrap().to_string();
            seal("sig", &leg) == presented
        };
        assert!(check(sealed.clone()));
        assert!(!check(sealed.replace("attempt=0", "attempt=1")));
    }

    #[test]
    fn each_provider_says_failed_its_own_way() {
        assert_eq!(
            leg_status(ProviderKind::Plivo, "timeout"),
            Some(CallStatus::Failed)
        );
        assert_eq!(
            leg_status(ProviderKind::Vonage, "timeout"),
            Some(CallStatus::NoAnswer)
        );
        assert_eq!(
            leg_status(ProviderKind::Vonage, "rejected"),
            Some(CallStatus::Failed)
        );
        assert_eq!(
            leg_status(ProviderKind::Twilio, "busy"),
            Some(CallStatus::Busy)
        );
        assert_eq!(
            leg_status(ProviderKind::Vonage, "answered"),
            Some(CallStatus::InProgress)
        );
    }
}
