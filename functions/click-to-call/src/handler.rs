//! Parses the request, asks the click-to-call use case, and maps its outcome to HTTP.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use maskline::adapters::http::{json_response, order_route, served_base};
use maskline::domain::{OrderId, Side};
use maskline::services::{ClickToCall, ClickToCallError};
use serde_json::{json, Value};
use tracing::{error, warn};

pub async fn handle(click_to_call: &ClickToCall, request: Request) -> Response<Body> {
    let Some(raw_order) = order_route(request.uri().path(), "click-to-call") else {
        return reply(StatusCode::NOT_FOUND, json!({"error": "no such route"}));
    };
    if request.method() != Method::POST {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"error": "only POST is supported"}),
        );
    }
    let order_id = match OrderId::parse(raw_order) {
        Ok(id) => id,
        Err(e) => return reply(StatusCode::BAD_REQUEST, json!({"error": e.to_string()})),
    };
    let Some(from) = requesting_side(request.body()) else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({"error": "the body must be {\"from\": \"customer\"} or {\"from\": \"driver\"}"}),
        );
    };
    match click_to_call
        .request_served_at(&order_id, from, served_base(&request))
        .await
    {
        Ok(placed) => reply(StatusCode::ACCEPTED, json!(placed)),
        Err(e) => failure(&order_id, e),
    }
}

fn failure(order_id: &OrderId, e: ClickToCallError) -> Response<Body> {
    let status = match &e {
        ClickToCallError::UnknownOrder => StatusCode::NOT_FOUND,
        ClickToCallError::NotCallable => StatusCode::GONE,
        ClickToCallError::Off | ClickToCallError::NotYet { .. } => StatusCode::CONFLICT,
        ClickToCallError::NoHealthyNumber => StatusCode::SERVICE_UNAVAILABLE,
        ClickToCallError::NoDialer(_) => StatusCode::NOT_IMPLEMENTED,
        ClickToCallError::Dial(_) => StatusCode::BAD_GATEWAY,
        ClickToCallError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status.is_server_error() {
        error!(%order_id, error = %e, "click-to-call failed");
    } else {
        warn!(%order_id, error = %e, "click-to-call refused");
    }
    // The provider's own words stay in the log (scrubbed of numbers there): they can name the
    // other party's number, which the app asking must never see.
    let message = match e {
        ClickToCallError::Store(_) => "temporarily unavailable".to_string(),
        ClickToCallError::Dial(_) => "the provider could not place the call".to_string(),
        other => other.to_string(),
    };
    reply(status, json!({"error": message, "order_id": order_id}))
}

fn requesting_side(body: &Body) -> Option<Side> {
    let value: Value = match body {
        Body::Text(t) => serde_json::from_str(t).ok()?,
        Body::Binary(b) => serde_json::from_slice(b).ok()?,
        _ => return None,
    };
    Side::parse(value.get("from")?.as_str()?)
}

fn reply(status: StatusCode, body: Value) -> Response<Body> {
    json_response(status.as_u16(), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_side() {
        assert_eq!(
            requesting_side(&Body::from(r#"{"from":"driver"}"#)),
            Some(Side::Driver)
        );
        assert_eq!(requesting_side(&Body::from(r#"{"from":"boss"}"#)), None);
        assert_eq!(requesting_side(&Body::Empty), None);
    }
}
