//! Routes the HTTP request to the order-numbers view and renders JSON.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use maskline::domain::OrderId;
use maskline::services::OrderNumbers;
use serde_json::{json, Value};
use tracing::error;

pub async fn handle(numbers: &OrderNumbers, request: Request) -> Response<Body> {
    let Some(raw_order) = order_in_path(request.uri().path()) else {
        return reply(StatusCode::NOT_FOUND, json!({"error": "no such route"}));
    };
    if request.method() != Method::GET {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"error": "only GET is supported"}),
        );
    }
    let order_id = match OrderId::parse(raw_order) {
        Ok(id) => id,
        Err(e) => return reply(StatusCode::BAD_REQUEST, json!({"error": e.to_string()})),
    };
    match numbers.view(&order_id).await {
        Ok(Some(view)) => reply(StatusCode::OK, json!(view)),
        Ok(None) => reply(
            StatusCode::NOT_FOUND,
            json!({"error": "unknown order", "order_id": order_id}),
        ),
        Err(e) => {
            error!(order_id = %order_id, error = %e, "order lookup failed");
            reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "temporarily unavailable"}),
            )
        }
    }
}

/// `/v1/orders/{order_id}/numbers` -> `order_id` (percent-decoding is left to the id parser,
/// which refuses `%`).
fn order_in_path(path: &str) -> Option<&str> {
    path.trim_end_matches('/')
        .strip_prefix("/v1/orders/")?
        .strip_suffix("/numbers")
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

fn reply(status: StatusCode, body: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("static response parts are valid")
}

#[cfg(test)]
mod tests {
    use super::order_in_path;

    #[test]
    fn extracts_the_order_id_from_the_route() {
        assert_eq!(order_in_path("/v1/orders/ORD-1/numbers"), Some("ORD-1"));
        assert_eq!(order_in_path("/v1/orders/ORD-1/numbers/"), Some("ORD-1"));
        assert_eq!(order_in_path("/v1/orders//numbers"), None);
        assert_eq!(order_in_path("/v1/orders/a/b/numbers"), None);
        assert_eq!(order_in_path("/v1/other"), None);
    }
}
