//! Routes the HTTP request to the order-numbers view and renders JSON.

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use maskline::adapters::http::{json_response, order_route};
use maskline::domain::OrderId;
use maskline::services::OrderNumbers;
use serde_json::json;
use tracing::error;

pub async fn handle(numbers: &OrderNumbers, request: Request) -> Response<Body> {
    let Some(raw_order) = order_route(request.uri().path(), "numbers") else {
        return json_response(404, json!({"error": "no such route"}));
    };
    if request.method() != Method::GET {
        return json_response(405, json!({"error": "only GET is supported"}));
    }
    let order_id = match OrderId::parse(raw_order) {
        Ok(id) => id,
        Err(e) => return json_response(400, json!({"error": e.to_string()})),
    };
    match numbers.view(&order_id).await {
        Ok(Some(view)) => {
            let mut response = json_response(200, json!(view));
            // The session version as an entity tag: a client can tell a newer view from an older.
            if let Ok(tag) = format!("\"{}\"", view.version).parse() {
                response
                    .headers_mut()
                    .insert(lambda_http::http::header::ETAG, tag);
            }
            response
        }
        Ok(None) => json_response(404, json!({"error": "unknown order", "order_id": order_id})),
        Err(e) => {
            error!(order_id = %order_id, error = %e, "order lookup failed");
            json_response(500, json!({"error": "temporarily unavailable"}))
        }
    }
}
