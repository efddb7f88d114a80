//! Routes a provider's voice webhook to the resolution use case.

use lambda_http::{Body, Request, Response};
use maskline::adapters::http::{
    into_response, outcome_response, refuse_oversized, refuse_unlisted_source, webhook_request,
};
use maskline::providers::{voice_methods, webhook_route, WebhookReply};
use maskline::services::ResolveCall;
use serde_json::json;

pub async fn handle(resolver: &ResolveCall, request: Request) -> Response<Body> {
    let Some((provider, "voice")) = webhook_route(request.uri().path()) else {
        return into_response(WebhookReply::json(404, json!({"error": "no such webhook"})));
    };
    if let Some(too_large) = refuse_oversized(&request) {
        return into_response(too_large);
    }
    if let Some(refused) = refuse_unlisted_source(&request, provider, &resolver.config) {
        return into_response(refused);
    }
    let public_base = resolver.config.public_base_url.as_deref();
    let webhook = match webhook_request(&request, public_base) {
        Some(w) if voice_methods(provider).contains(&w.method) => w,
        _ => {
            return into_response(WebhookReply::json(
                405,
                json!({"error": "method not allowed for this webhook"}),
            ))
        }
    };
    outcome_response(resolver.answer(provider, &webhook).await)
}
