//! API Gateway (via `lambda_http`) <-> the provider-neutral webhook types.

use lambda_http::http::Method;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{json, Value};

use crate::providers::{hook_methods, HttpMethod, ProviderKind, WebhookReply, WebhookRequest};
use crate::public_url::public_base;
use crate::services::WebhookOutcome;
use crate::webhook_config::WebhookConfig;

/// The largest webhook body accepted. Providers send a few hundred bytes; anything near this is
/// not a provider, and parsing it whole before the signature check is what it would cost us.
pub const MAX_WEBHOOK_BODY_BYTES: usize = 64 * 1024;
/// The most parameters (query and form together) a webhook may carry.
pub const MAX_WEBHOOK_PARAMETERS: usize = 200;

/// 413 for a webhook too large to be a provider's, decided from its length and a count of
/// separators, before anything is parsed or verified.
pub fn refuse_oversized(request: &Request) -> Option<WebhookReply> {
    let body: &[u8] = match request.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    let query = request.uri().query().unwrap_or_default().as_bytes();
    let separators = |bytes: &[u8]| bytes.iter().filter(|b| **b == b'&').count();
    let parameters = separators(query) + separators(body) + 2;
    (body.len() > MAX_WEBHOOK_BODY_BYTES || parameters > MAX_WEBHOOK_PARAMETERS).then(|| {
        WebhookReply::json(
            413,
            serde_json::json!({"error": "request too large for a provider webhook"}),
        )
    })
}

/// 403 for a request to one of `provider`'s routes from a source its allow-list does not name
/// (only Exotel has one: it signs nothing), decided from API Gateway's own context before
/// anything of the request is read.
pub fn refuse_unlisted_source(
    request: &Request,
    provider: ProviderKind,
    config: &WebhookConfig,
) -> Option<WebhookReply> {
    let allowed = match provider {
        ProviderKind::Exotel => config.exotel_sources.as_ref()?,
        _ => return None,
    };
    let source = source_ip(request);
    if allowed.allows(source.as_deref()) {
        return None;
    }
    tracing::warn!(%provider, source = source.as_deref().unwrap_or("unknown"),
                   "webhook from a source outside the provider's allowed networks; refused");
    Some(webhook_reply(WebhookOutcome::Refused))
}

/// The client address API Gateway saw (its own context, not a forwarded header).
fn source_ip(request: &Request) -> Option<String> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.clone(),
        RequestContext::ApiGatewayV1(context) => context.identity.source_ip.clone(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// `https://` + the domain API Gateway served the request on: Maskline's own public base as the
/// caller reached it (its context, not a header the client chooses).
pub fn served_base(request: &Request) -> Option<String> {
    served_domain(request).map(|domain| format!("https://{domain}"))
}

/// The domain name API Gateway received the request on (its own context, not a header).
fn served_domain(request: &Request) -> Option<String> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.domain_name.clone(),
        RequestContext::ApiGatewayV1(context) => context.domain_name.clone(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
    .filter(|d| !d.is_empty())
}

/// Rebuilds the URL the provider requested, which is what Twilio and Plivo sign:
/// `PUBLIC_WEBHOOK_BASE_URL` + path + raw query when configured (behind a proxy, a custom domain
/// or `cargo lambda watch`), else `https://` + the domain API Gateway says it served. The `Host`
/// header is only a last resort without a request context: the client chooses it, so a request
/// signed for another deployment's host could otherwise be replayed here.
pub fn webhook_request(request: &Request, public_base_url: Option<&str>) -> Option<WebhookRequest> {
    let method = match *request.method() {
        Method::GET => HttpMethod::Get,
        Method::POST => HttpMethod::Post,
        _ => return None,
    };
    let path = request.uri().path();
    let query = request
        .uri()
        .query()
        .filter(|q| !q.is_empty())
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let headers: std::collections::HashMap<String, String> = request
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((
                name.as_str().to_ascii_lowercase(),
                value.to_str().ok()?.to_string(),
            ))
        })
        .collect();
    let url = match public_base_url {
        Some(base) => format!("{}{path}{query}", public_base(base, path)),
        None => match served_domain(request) {
            Some(domain) => format!("https://{domain}{path}{query}"),
            None => {
                let scheme = headers
                    .get("x-forwarded-proto")
                    .map(String::as_str)
                    .unwrap_or("https");
                let host = headers
                    .get("host")
                    .map(String::as_str)
                    .unwrap_or("localhost");
                format!("{scheme}://{host}{path}{query}")
            }
        },
    };
    let body = match request.body() {
        Body::Empty => Vec::new(),
        Body::Text(text) => text.as_bytes().to_vec(),
        Body::Binary(bytes) => bytes.clone(),
        _ => Vec::new(),
    };
    Some(WebhookRequest {
        method,
        url,
        headers,
        body,
    })
}

/// Everything a webhook function does with a request before its use case sees it, in order: the
/// size limit, the source allow-list, then the request as the provider signed it, in one of the
/// methods the route takes ([`hook_methods`]). The handlers and the fuzz targets
/// (`tests/entry_points`) both call this, so what is fuzzed is what is deployed.
pub fn admit_webhook(
    request: &Request,
    provider: ProviderKind,
    hook: &str,
    config: &WebhookConfig,
) -> Result<WebhookRequest, WebhookReply> {
    if let Some(too_large) = refuse_oversized(request) {
        return Err(too_large);
    }
    if let Some(refused) = refuse_unlisted_source(request, provider, config) {
        return Err(refused);
    }
    match webhook_request(request, config.public_base_url.as_deref()) {
        Some(webhook) if hook_methods(provider, hook).contains(&webhook.method) => Ok(webhook),
        _ => Err(WebhookReply::json(
            405,
            json!({"error": "method not allowed for this webhook"}),
        )),
    }
}

/// `/v1/orders/{order_id}/{action}` -> `order_id` (percent-decoding is left to the id parser,
/// which refuses `%`).
pub fn order_route<'a>(path: &'a str, action: &str) -> Option<&'a str> {
    path.trim_end_matches('/')
        .strip_prefix("/v1/orders/")?
        .strip_suffix(action)?
        .strip_suffix('/')
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

/// Where a `/v1/sessions` path points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRoute<'a> {
    /// `/v1/sessions`
    Collection,
    /// `/v1/sessions/{order_id}` (percent-decoding is left to the id parser, which refuses `%`).
    One(&'a str),
}

pub fn session_route(path: &str) -> Option<SessionRoute<'_>> {
    let rest = path.trim_end_matches('/').strip_prefix("/v1/sessions")?;
    if rest.is_empty() {
        return Some(SessionRoute::Collection);
    }
    rest.strip_prefix('/')
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .map(SessionRoute::One)
}

/// The sessions API's one error shape: what is wrong, and the field it is wrong in. The message
/// never carries a request's value (a phone number, most likely).
pub fn api_error(status: u16, message: &str, field: Option<&str>) -> Response<Body> {
    let mut body = json!({ "error": message });
    if let Some(field) = field {
        body["field"] = json!(field);
    }
    json_response(status, body)
}

/// A request's body as bytes (empty when there is none).
pub fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// A session version as an entity tag: `"7"`.
pub fn entity_tag(version: u64) -> lambda_http::http::HeaderValue {
    lambda_http::http::HeaderValue::from_str(&format!("\"{version}\""))
        .expect("digits and quotes make a valid header value")
}

/// The session version an `If-Match` header names (`"7"`, weak `W/"7"` too); `None` without
/// the header or with `*` (any version will do).
pub fn if_match(request: &Request) -> Result<Option<u64>, &'static str> {
    let Some(value) = request.headers().get(lambda_http::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let refused = "expected one entity tag as the ETag header gave it, such as \"3\"";
    let value = value.to_str().map_err(|_| refused)?.trim();
    if value == "*" {
        return Ok(None);
    }
    value
        .trim_start_matches("W/")
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or(refused)
}

/// A JSON answer for the apps' routes.
pub fn json_response(status: u16, body: serde_json::Value) -> Response<Body> {
    into_response(WebhookReply::json(status, body))
}

/// The status code and body of each webhook outcome.
pub fn webhook_reply(outcome: WebhookOutcome) -> WebhookReply {
    let error = |status, message: &str| WebhookReply::json(status, json!({ "error": message }));
    match outcome {
        WebhookOutcome::Answer(rendered) => WebhookReply {
            status: 200,
            content_type: rendered.content_type,
            body: rendered.body,
        },
        WebhookOutcome::Acknowledged(body) => WebhookReply::json(200, body),
        WebhookOutcome::Refused => error(403, "forbidden"),
        WebhookOutcome::Malformed(reason) => error(400, &reason),
        WebhookOutcome::NotOurs => error(404, "not a number of this provider"),
        // 5xx: the provider sends the request again, which every use case makes safe.
        WebhookOutcome::RetryLater(figures) => {
            let mut body = json!({"error": "temporarily unavailable"});
            if let (Some(Value::Object(figures)), Value::Object(body)) = (figures, &mut body) {
                body.extend(figures);
            }
            WebhookReply::json(503, body)
        }
    }
}

/// A webhook outcome as the HTTP API answers it.
pub fn outcome_response(outcome: WebhookOutcome) -> Response<Body> {
    into_response(webhook_reply(outcome))
}

pub fn into_response(reply: WebhookReply) -> Response<Body> {
    Response::builder()
        .status(reply.status)
        .header("content-type", reply.content_type)
        .body(Body::from(reply.body))
        .expect("status and content type are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_has_its_status_and_says_nothing_more() {
        let status = |outcome| webhook_reply(outcome).status;
        assert_eq!(status(WebhookOutcome::Refused), 403);
        assert_eq!(
            status(WebhookOutcome::Malformed("field To is missing".into())),
            400
        );
        assert_eq!(status(WebhookOutcome::NotOurs), 404);
        assert_eq!(
            status(WebhookOutcome::Acknowledged(json!({"recorded": true}))),
            200
        );
        let refused = webhook_reply(WebhookOutcome::Refused);
        assert_eq!(refused.body, r#"{"error":"forbidden"}"#);
        let later = webhook_reply(WebhookOutcome::RetryLater(Some(json!({"moved": 2}))));
        assert_eq!(later.status, 503);
        assert_eq!(
            serde_json::from_str::<Value>(&later.body).unwrap(),
            json!({"error": "temporarily unavailable", "moved": 2})
        );
    }

    #[test]
    fn session_routes_name_the_collection_or_one_order() {
        assert_eq!(
            session_route("/v1/sessions"),
            Some(SessionRoute::Collection)
        );
        assert_eq!(
            session_route("/v1/sessions/"),
            Some(SessionRoute::Collection)
        );
        assert_eq!(
            session_route("/v1/sessions/ORD-1"),
            Some(SessionRoute::One("ORD-1"))
        );
        assert_eq!(session_route("/v1/sessions/ORD-1/x"), None);
        assert_eq!(session_route("/v1/sessionsX"), None);
        assert_eq!(session_route("/v1/orders/ORD-1/numbers"), None);
    }

    #[test]
    fn if_match_names_a_version_or_any() {
        let with = |value: Option<&str>| {
            let mut builder = lambda_http::http::Request::builder().uri("/v1/sessions/ORD-1");
            if let Some(value) = value {
                builder = builder.header("if-match", value);
            }
            if_match(&builder.body(Body::Empty).unwrap())
        };
        assert_eq!(with(None), Ok(None));
        assert_eq!(with(Some("\"3\"")), Ok(Some(3)));
        assert_eq!(with(Some("W/\"12\"")), Ok(Some(12)));
        assert_eq!(with(Some("*")), Ok(None));
        assert!(with(Some("3")).is_err());
        assert!(with(Some("\"three\"")).is_err());
    }

    #[test]
    fn order_routes_name_one_order() {
        assert_eq!(
            order_route("/v1/orders/ORD-1/numbers", "numbers"),
            Some("ORD-1")
        );
        assert_eq!(
            order_route("/v1/orders/ORD-1/numbers/", "numbers"),
            Some("ORD-1")
        );
        assert_eq!(order_route("/v1/orders/ORD-1/calls", "numbers"), None);
        assert_eq!(order_route("/v1/orders//numbers", "numbers"), None);
        assert_eq!(order_route("/v1/orders/a/b/numbers", "numbers"), None);
        assert_eq!(order_route("/v1/orders/ORD-1xnumbers", "numbers"), None);
        assert_eq!(
            order_route("/v1/orders/ORD-1/click-to-call", "click-to-call"),
            Some("ORD-1")
        );
    }
}
