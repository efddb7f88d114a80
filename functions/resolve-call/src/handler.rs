//! Routes a provider's voice webhook (its whisper, fetched on the callee's answer, and its
//! dial result, reported when the forwarded leg ends) to the resolution use case.

use lambda_http::{Body, Request, Response};
use maskline::adapters::http::{admit_webhook, into_response, outcome_response};
use maskline::providers::dial_result::{self, HOOK as DIAL_RESULT};
use maskline::providers::whisper::{self, HOOK as WHISPER};
use maskline::providers::{webhook_route, WebhookReply};
use maskline::services::ResolveCall;
use serde_json::json;

pub async fn handle(resolver: &ResolveCall, request: Request) -> Response<Body> {
    let not_found = || into_response(WebhookReply::json(404, json!({"error": "no such webhook"})));
    let Some((provider, hook)) = webhook_route(request.uri().path()) else {
        return not_found();
    };
    let whispers = hook == WHISPER && whisper::fetched_by(provider);
    let dial_result = hook == DIAL_RESULT && dial_result::has_route(provider);
    if hook != "voice" && !whispers && !dial_result {
        return not_found();
    }
    match admit_webhook(&request, provider, hook, &resolver.config) {
        Ok(webhook) if whispers => outcome_response(resolver.whisper(provider, &webhook)),
        Ok(webhook) if dial_result => {
            outcome_response(resolver.dial_result(provider, &webhook).await)
        }
        // Exotel fetches its voice URL again after an attempt it was asked to report.
        Ok(webhook) if dial_result::is_exotel_refetch(provider, &webhook) => {
            outcome_response(resolver.exotel_refetch(&webhook).await)
        }
        Ok(webhook) => outcome_response(resolver.answer(provider, &webhook).await),
        Err(refused) => into_response(refused),
    }
}
