//! Exotel: the Connect applet's dynamic URL (GET). Exotel signs nothing, so the URL carries a
//! secret token (checked by [`super::secret_token`]); pair it with IP allow-listing.

use super::answer::{Answer, AnswerOptions, Rendered};
use super::request::{optional_seconds, param, WebhookRequest};
use super::{BadRequest, CallStatus, InboundCall, StatusReport};

fn first<'a>(params: &'a [(String, String)], names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| param(params, n))
}

pub fn parse_call(request: &WebhookRequest) -> Result<InboundCall, BadRequest> {
    let params = request.all_params()?;
    Ok(InboundCall {
        call_id: first(&params, &["CallSid"])
            .ok_or(BadRequest::Missing("CallSid"))?
            .to_string(),
        from: first(&params, &["CallFrom", "From"])
            .ok_or(BadRequest::Missing("CallFrom"))?
            .to_string(),
        to: first(&params, &["CallTo", "To"])
            .ok_or(BadRequest::Missing("CallTo"))?
            .to_string(),
    })
}

pub fn parse_status(request: &WebhookRequest) -> Result<StatusReport, BadRequest> {
    let params = request.all_params()?;
    let status = first(&params, &["Status", "CallStatus", "DialCallStatus"])
        .ok_or(BadRequest::Missing("Status"))?;
    let status = CallStatus::parse(status).ok_or(BadRequest::Invalid("Status"))?;
    let duration_seconds = optional_seconds(
        &params,
        &["ConversationDuration", "DialCallDuration", "Duration"],
    )?;
    Ok(StatusReport {
        call: parse_call(request)?,
        status,
        duration_seconds,
        parent_call_id: None,
        direction: None,
    })
}

/// Exotel's Connect JSON. Out of session there is no one to dial (or only the support line);
/// the flow's next applet plays the greeting configured in Exotel.
pub fn render(answer: &Answer, options: &AnswerOptions) -> Rendered {
    let body = match answer {
        Answer::Connect {
            callee,
            caller_id,
            callee_hears,
            dial_result_to,
            ..
        } => {
            let mut connect = serde_json::json!({
                // Asked for the attempt's result: Exotel fetches the voice URL again after it
                // (`dial_result`).
                "fetch_after_attempt": dial_result_to.is_some(),
                "destination": {"numbers": [callee.expose()]},
                "outgoing_phone_number": caller_id.as_str(),
                "record": options.record,
                "max_ringing_duration": options.ring_timeout_seconds,
                "max_conversation_duration": options.max_call_seconds,
            });
            // Exotel plays one message as the bridge starts, to the callee or to both: with the
            // consent notice due to the caller too, both hear it (announcement included).
            if let Some(message) = callee_hears {
                let to = if options.caller_notice().is_some() {
                    "both"
                } else {
                    "callee"
                };
                connect["start_call_playback"] = serde_json::json!({
                    "playback_to": to, "type": "text", "value": message.text,
                });
            }
            connect
        }
        Answer::OutOfSession { dialled } => {
            let numbers: Vec<&str> = options
                .out_of_session_forward
                .iter()
                .map(|n| n.expose())
                .collect();
            serde_json::json!({
                "fetch_after_attempt": false,
                "destination": {"numbers": numbers},
                "outgoing_phone_number": dialled.as_str(),
                "record": false,
                "max_ringing_duration": options.ring_timeout_seconds,
                "max_conversation_duration": options.max_call_seconds,
            })
        }
    };
    Rendered {
        content_type: "application/json",
        body: body.to_string(),
    }
}
