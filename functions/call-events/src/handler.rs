//! Routes status callbacks, number-health reports and call-log reads to their use cases.

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use maskline::adapters::http::{admit_webhook, into_response, order_route, outcome_response};
use maskline::domain::events::rfc3339;
use maskline::domain::OrderId;
use maskline::ports::CallRecord;
use maskline::providers::{webhook_route, WebhookReply};
use maskline::services::CallEvents;
use serde_json::{json, Value};
use tracing::error;

/// The use cases behind this function's routes, as the composition root builds them.
pub use maskline::app::functions::CallCallbacks as Callbacks;

pub async fn handle(callbacks: &Callbacks, request: Request) -> Response<Body> {
    let (events, health) = (&callbacks.events, &callbacks.health);
    let path = request.uri().path().to_string();
    if let Some((provider, hook @ ("status" | "number-health"))) = webhook_route(&path) {
        let webhook = match admit_webhook(&request, provider, hook, &events.config) {
            Ok(webhook) => webhook,
            Err(refused) => return into_response(refused),
        };
        return outcome_response(match hook {
            "status" => events.status(provider, &webhook).await,
            _ => health.report(provider, &webhook).await,
        });
    }
    if let Some(order) = order_route(&path, "calls") {
        if request.method() != Method::GET {
            return into_response(WebhookReply::json(
                405,
                json!({"error": "only GET is supported"}),
            ));
        }
        return into_response(call_log(events, order).await);
    }
    into_response(WebhookReply::json(404, json!({"error": "no such route"})))
}

async fn call_log(events: &CallEvents, raw_order: &str) -> WebhookReply {
    let order_id = match OrderId::parse(raw_order) {
        Ok(id) => id,
        Err(e) => return WebhookReply::json(400, json!({"error": e.to_string()})),
    };
    match events.log(&order_id).await {
        Ok(Some(calls)) => WebhookReply::json(
            200,
            json!({"order_id": order_id, "calls": calls.iter().map(call_json).collect::<Vec<_>>()}),
        ),
        Ok(None) => {
            WebhookReply::json(404, json!({"error": "unknown order", "order_id": order_id}))
        }
        Err(e) => {
            error!(order_id = %order_id, error = %e, "call log read failed");
            WebhookReply::json(500, json!({"error": "temporarily unavailable"}))
        }
    }
}

/// One entry of the call log: virtual numbers and outcomes only, never a real number.
fn call_json(call: &CallRecord) -> Value {
    json!({
        "call_id": call.call_id,
        "provider": call.provider.as_str(),
        "direction": call.caller_side.calling_direction(),
        "dialled": call.dialled,
        "status": call.status.as_str(),
        "duration_seconds": call.duration_seconds,
        "reported_at": rfc3339(call.reported_at),
        "retried_on_backup": call.retried_on_backup,
    })
}
