//! Routes a provider's voice webhook to the resolution use case.

use lambda_http::{Body, Request, Response};
use maskline::adapters::http::{admit_webhook, into_response, outcome_response};
use maskline::providers::{webhook_route, WebhookReply};
use maskline::services::ResolveCall;
use serde_json::json;

pub async fn handle(resolver: &ResolveCall, request: Request) -> Response<Body> {
    let Some((provider, "voice")) = webhook_route(request.uri().path()) else {
        return into_response(WebhookReply::json(404, json!({"error": "no such webhook"})));
    };
    match admit_webhook(&request, provider, "voice", &resolver.config) {
        Ok(webhook) => outcome_response(resolver.answer(provider, &webhook).await),
        Err(refused) => into_response(refused),
    }
}
