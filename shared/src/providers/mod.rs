//! Telecom providers' call webhooks: parse their requests, verify their signatures, render their
//! answers. Pure — no I/O, no store — so every format is unit-tested byte for byte.

pub mod answer;
pub mod authenticate;
pub mod call_announcement;
pub mod call_report;
pub mod dial_result;
pub mod exotel;
pub mod plivo;
mod reply;
pub mod request;
pub mod secret_list;
pub mod secret_rules;
pub mod secret_token;
mod secrets;
#[cfg(any(test, feature = "simulate"))]
pub mod simulate;
pub mod source_allowlist;
pub mod twilio;
pub mod vonage;
pub mod whisper;
pub(crate) mod xml;

use std::fmt;

pub use answer::{Answer, AnswerOptions, CalleeMessage, Rendered};
pub use authenticate::authenticate;
pub use reply::WebhookReply;
pub use request::{HttpMethod, WebhookRequest};
pub use secrets::WebhookSecrets;
// The provider and call-status vocabulary belongs to the domain; these names stay for callers.
pub use crate::domain::{CallStatus, ProviderKind};

/// The query a click-to-call's status callback URL carries (`…/status?leg=click-to-call`): the
/// URL is signed, so only calls Maskline placed can claim to be bridge legs, reported from a VN.
pub const CLICK_TO_CALL_LEG: (&str, &str) = ("leg", "click-to-call");

/// A call as every provider describes it: who called which number. Raw strings, normalised by
/// the caller of the parser (national formats need the configured default country).
#[derive(Clone, PartialEq, Eq)]
pub struct InboundCall {
    pub call_id: String,
    pub from: String,
    pub to: String,
}

impl fmt::Debug for InboundCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundCall")
            .field("call_id", &self.call_id)
            .field("from", &crate::domain::number::mask(&self.from))
            .field("to", &self.to)
            .finish()
    }
}

/// `/webhooks/{provider}/{hook}` -> the provider and the hook name (`voice`, `status`, …).
pub fn webhook_route(path: &str) -> Option<(ProviderKind, &str)> {
    let rest = path.trim_end_matches('/').strip_prefix("/webhooks/")?;
    let (provider, hook) = rest.split_once('/')?;
    Some((provider.parse().ok()?, hook))
}

/// The HTTP methods each provider's voice webhook is documented to use.
pub fn voice_methods(provider: ProviderKind) -> &'static [HttpMethod] {
    match provider {
        ProviderKind::Twilio => &[HttpMethod::Post],
        ProviderKind::Exotel => &[HttpMethod::Get],
        ProviderKind::Plivo | ProviderKind::Vonage => &[HttpMethod::Get, HttpMethod::Post],
    }
}

/// The HTTP methods each webhook route takes: `hook` is the last segment of
/// `/webhooks/{provider}/{hook}` (see [`webhook_route`]); an unknown hook takes none.
pub fn hook_methods(provider: ProviderKind, hook: &str) -> &'static [HttpMethod] {
    match hook {
        "voice" => voice_methods(provider),
        "status" => &[HttpMethod::Get, HttpMethod::Post],
        "number-health" => &[HttpMethod::Post],
        whisper::HOOK => whisper::methods(provider),
        dial_result::HOOK => dial_result::methods(provider),
        _ => &[],
    }
}

/// The parameters of a webhook Maskline may act on: for Vonage only what its signature covers
/// (see [`vonage::covered_params`]); the others sign the whole URL and body.
pub fn signed_params(
    provider: ProviderKind,
    request: &WebhookRequest,
) -> Result<Vec<(String, String)>, BadRequest> {
    match provider {
        ProviderKind::Vonage => vonage::covered_params(request),
        _ => request.all_params(),
    }
}

/// Parses a voice webhook into the provider-neutral call.
pub fn parse_call(
    provider: ProviderKind,
    request: &WebhookRequest,
) -> Result<InboundCall, BadRequest> {
    let call = match provider {
        ProviderKind::Twilio => twilio::parse_call(request),
        ProviderKind::Exotel => exotel::parse_call(request),
        ProviderKind::Plivo => plivo::parse_call(request),
        ProviderKind::Vonage => vonage::parse_call(request),
    }?;
    usable_call_id(&call.call_id)?;
    Ok(call)
}

/// A provider's call id goes into table keys and log lines: it is kept to what providers send
/// (letters, digits, `-_.`, at most 128), and one that reads as a phone number is refused, so
/// no log line that names a call can print a number.
fn usable_call_id(id: &str) -> Result<(), BadRequest> {
    let shaped = id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if shaped && !crate::domain::ids::is_phone_number(id) {
        Ok(())
    } else {
        Err(BadRequest::Invalid("call id"))
    }
}

/// Parses a status callback into the provider-neutral report.
pub fn parse_status(
    provider: ProviderKind,
    request: &WebhookRequest,
) -> Result<StatusReport, BadRequest> {
    let report = match provider {
        ProviderKind::Twilio => twilio::parse_status(request),
        ProviderKind::Exotel => exotel::parse_status(request),
        ProviderKind::Plivo => plivo::parse_status(request),
        ProviderKind::Vonage => vonage::parse_status(request),
    }?;
    usable_call_id(&report.call.call_id)?;
    if let Some(parent) = &report.parent_call_id {
        usable_call_id(parent)?;
    }
    Ok(report)
}

/// Renders an answer in the provider's format.
pub fn render(provider: ProviderKind, answer: &Answer, options: &AnswerOptions) -> Rendered {
    match provider {
        ProviderKind::Twilio => twilio::render(answer, options),
        ProviderKind::Exotel => exotel::render(answer, options),
        ProviderKind::Plivo => plivo::render(answer, options),
        ProviderKind::Vonage => vonage::render(answer, options),
    }
}

/// A provider's status callback about one call.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub call: InboundCall,
    pub status: CallStatus,
    pub duration_seconds: Option<u32>,
    /// The call this leg was dialled from (Twilio's `ParentCallSid` on a `<Dial>`ed leg): the
    /// id the voice webhook saw, which the call log keeps.
    pub parent_call_id: Option<String>,
    /// The provider's `Direction` of the reported leg (`inbound`, `outbound-dial`, …), lowercase.
    pub direction: Option<String>,
}

impl fmt::Debug for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusReport")
            .field("call", &self.call)
            .field("status", &self.status)
            .field("duration_seconds", &self.duration_seconds)
            .finish()
    }
}

/// The request is not from the provider (or cannot be checked). Answered 403, before any read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("{0} is not configured; refusing every {1} webhook")]
    NotConfigured(&'static str, ProviderKind),
    #[error("signature header {0} is missing")]
    MissingSignature(&'static str),
    #[error("signature does not verify")]
    BadSignature,
    #[error("the secret token is missing or wrong")]
    BadToken,
    #[error("signed token rejected: {0}")]
    BadJwt(String),
    /// A body the signature does not cover (a JSON body: the signature covers only the URL).
    #[error("the request body is not covered by the signature")]
    UnsignedBody,
}

/// The request is from the provider but unusable. Answered 400, before any read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRequest {
    #[error("field {0} is missing")]
    Missing(&'static str),
    #[error("field {0} is invalid")]
    Invalid(&'static str),
    #[error("body is not valid {0}")]
    Body(&'static str),
}

#[cfg(test)]
mod call_id_tests {
    use super::*;

    fn twilio_voice(call_sid: &str) -> WebhookRequest {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("CallSid", call_sid),
                ("From", "+14155550101"),
                ("To", "+14155550100"),
            ])
            .finish();
        WebhookRequest {
            method: HttpMethod::Post,
            url: "https://x/webhooks/twilio/voice".into(),
            headers: [(
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            )]
            .into_iter()
            .collect(),
            body: body.into_bytes(),
        }
    }

    #[test]
    fn a_call_id_that_reads_as_a_phone_number_is_refused_before_any_log_names_it() {
        assert!(parse_call(ProviderKind::Twilio, &twilio_voice("CA0123456789abcdef")).is_ok());
        for id in ["+919876500001", "919876500001", "CA 1", "CA/1"] {
            assert_eq!(
                parse_call(ProviderKind::Twilio, &twilio_voice(id)),
                Err(BadRequest::Invalid("call id")),
                "{id}"
            );
        }
    }
}
