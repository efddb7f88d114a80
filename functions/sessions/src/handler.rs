//! Routes `/v1/sessions` requests to the sessions use case and maps its answers to HTTP: the
//! session view (as `GET /v1/orders/{id}/numbers` shows it) with its version as the ETag, or an
//! error `{"error", "field"}` that names what was wrong and never repeats a value.

use lambda_http::http::header::{ETAG, RETRY_AFTER};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use maskline::adapters::http::{api_error, body_bytes, entity_tag, json_response, session_route};
use maskline::adapters::http::{if_match, SessionRoute};
use maskline::domain::events::rfc3339;
use maskline::domain::session_requests::{ChangeSession, OpenSession, RequestError};
use maskline::domain::OrderId;
use maskline::services::sessions::POOL_EXHAUSTED_RETRY_AFTER_SECONDS;
use maskline::services::{Answered, Sessions, SessionsError};
use serde_json::json;

pub async fn handle(sessions: &Sessions, request: Request) -> Response<Body> {
    let method = request.method().clone();
    let order_id = match session_route(request.uri().path()) {
        None => return api_error(404, "no such route", None),
        Some(SessionRoute::Collection) if method == Method::POST => {
            return match OpenSession::parse(body_bytes(&request), sessions.rules) {
                Ok(open) => answered(sessions.open(&open).await),
                Err(e) => refused(e),
            };
        }
        Some(SessionRoute::Collection) => return api_error(405, "only POST is supported", None),
        Some(SessionRoute::One(raw)) => match OrderId::parse(raw) {
            Ok(id) => id,
            Err(e) => return api_error(400, &e.to_string(), Some("order_id")),
        },
    };
    match method {
        Method::GET => match sessions.view(&order_id).await {
            Ok(view) => tagged(json_response(200, json!(view)), view.version),
            Err(e) => failure(e),
        },
        Method::PATCH => {
            let expected = match if_match(&request) {
                Ok(expected) => expected,
                Err(reason) => return api_error(400, reason, Some("If-Match")),
            };
            match ChangeSession::parse(body_bytes(&request), sessions.rules) {
                Ok(change) => answered(sessions.change(&order_id, &change, expected).await),
                Err(e) => refused(e),
            }
        }
        Method::DELETE => match sessions.close(&order_id).await {
            Ok(closed) => {
                let mut body = json!(closed.view);
                body["callable_until"] = json!(rfc3339(closed.callable_until));
                tagged(json_response(200, body), closed.view.version)
            }
            Err(e) => failure(e),
        },
        _ => api_error(405, "only GET, PATCH and DELETE are supported", None),
    }
}

fn answered(result: Result<Answered, SessionsError>) -> Response<Body> {
    match result {
        Ok(Answered { created, view }) => {
            let status = if created { 201 } else { 200 };
            tagged(json_response(status, json!(view)), view.version)
        }
        Err(e) => failure(e),
    }
}

fn refused(e: RequestError) -> Response<Body> {
    api_error(400, &e.reason, Some(e.field))
}

fn failure(e: SessionsError) -> Response<Body> {
    let (status, field) = match e {
        SessionsError::NotFound => (StatusCode::NOT_FOUND, Some("order_id")),
        SessionsError::Over => (StatusCode::GONE, Some("order_id")),
        SessionsError::VersionMoved => (StatusCode::PRECONDITION_FAILED, Some("If-Match")),
        SessionsError::UnknownRegion => (StatusCode::UNPROCESSABLE_ENTITY, Some("region")),
        SessionsError::OnePersonOnBothSides => {
            (StatusCode::UNPROCESSABLE_ENTITY, Some("driver.phone"))
        }
        SessionsError::PoolExhausted => (StatusCode::CONFLICT, Some("region")),
        SessionsError::Contended => (StatusCode::SERVICE_UNAVAILABLE, None),
        SessionsError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, None),
    };
    let retry_after = match e {
        SessionsError::PoolExhausted => Some(POOL_EXHAUSTED_RETRY_AFTER_SECONDS),
        // Other writers of the order made progress: asking again soon will find them done.
        SessionsError::Contended => Some(1),
        _ => None,
    };
    let mut response = api_error(status.as_u16(), &e.to_string(), field);
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, seconds.into());
    }
    response
}

/// The session version as the entity tag, which `If-Match` hands back.
fn tagged(mut response: Response<Body>, version: u64) -> Response<Body> {
    response.headers_mut().insert(ETAG, entity_tag(version));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_its_status_and_names_a_field_where_there_is_one() {
        let status = |e| failure(e).status().as_u16();
        assert_eq!(status(SessionsError::NotFound), 404);
        assert_eq!(status(SessionsError::Over), 410);
        assert_eq!(status(SessionsError::VersionMoved), 412);
        assert_eq!(status(SessionsError::UnknownRegion), 422);
        assert_eq!(status(SessionsError::PoolExhausted), 409);
        assert_eq!(status(SessionsError::Unavailable), 503);
        let exhausted = failure(SessionsError::PoolExhausted);
        assert_eq!(exhausted.headers()[RETRY_AFTER], "60");
        assert!(failure(SessionsError::NotFound)
            .headers()
            .get(RETRY_AFTER)
            .is_none());
    }
}
