//! The public URLs of Maskline's routes, as providers call them. On AWS one API serves every
//! route under one base (`https://calls.example.com`). Locally, `cargo lambda watch` serves each
//! function under its own prefix (`http://127.0.0.1:9000/lambda-url/<function>`), so the base may
//! name the serving function with a placeholder:
//! `PUBLIC_WEBHOOK_BASE_URL=http://127.0.0.1:9000/lambda-url/{function}`.

/// Replaced in a base URL by the name of the function that serves the route.
pub const FUNCTION_PLACEHOLDER: &str = "{function}";

/// The function that serves `path` (a route of `template.yaml`).
pub fn function_serving(path: &str) -> &'static str {
    let path = path.split('?').next().unwrap_or(path);
    if path.ends_with("/voice") || path.ends_with("/whisper") || path.ends_with("/dial-result") {
        "resolve-call"
    } else if path.ends_with("/click-to-call") {
        "click-to-call"
    } else if path.ends_with("/numbers") {
        "order-numbers"
    } else {
        // `/webhooks/{provider}/status`, `/number-health`, `/v1/orders/{id}/calls`
        "call-events"
    }
}

/// The route `hook` beside the voice URL a provider requested (`…/webhooks/twilio/voice` ->
/// `…/webhooks/twilio/status`), for a deployment that serves both under one base. `None` when
/// the URL does not end in `/voice`.
pub fn route_beside(voice_url: &str, hook: &str) -> Option<String> {
    let without_query = voice_url.split('?').next().unwrap_or(voice_url);
    Some(format!("{}/{hook}", without_query.strip_suffix("/voice")?))
}

/// The route `hook` beside the route a provider requested (`…/webhooks/twilio/dial-result` ->
/// `…/webhooks/twilio/{hook}`): `route_beside` for any of the provider's routes. `None` when the
/// URL is not a `/webhooks/{provider}/{route}` URL.
pub fn sibling_route(url: &str, hook: &str) -> Option<String> {
    let without_query = url.split('?').next().unwrap_or(url);
    let (base, _route) = without_query.rsplit_once('/')?;
    base.contains("/webhooks/")
        .then(|| format!("{base}/{hook}"))
}

/// `base` for the route `path`, its placeholder (if any) naming the serving function.
pub fn public_base(base: &str, path: &str) -> String {
    base.trim()
        .trim_end_matches('/')
        .replace(FUNCTION_PLACEHOLDER, function_serving(path))
}

/// The full public URL of the route `path`.
pub fn public_url(base: &str, path: &str) -> String {
    format!("{}{path}", public_base(base, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_names_the_function_serving_each_route() {
        let local = "http://127.0.0.1:9000/lambda-url/{function}";
        assert_eq!(
            public_url(local, "/webhooks/twilio/voice"),
            "http://127.0.0.1:9000/lambda-url/resolve-call/webhooks/twilio/voice"
        );
        assert_eq!(
            public_url(local, "/webhooks/twilio/status?leg=click-to-call"),
            "http://127.0.0.1:9000/lambda-url/call-events/webhooks/twilio/status?leg=click-to-call"
        );
        assert_eq!(
            public_url(local, "/webhooks/vonage/whisper"),
            "http://127.0.0.1:9000/lambda-url/resolve-call/webhooks/vonage/whisper"
        );
        assert_eq!(
            public_base(local, "/webhooks/exotel/number-health"),
            "http://127.0.0.1:9000/lambda-url/call-events"
        );
        // One API for every route: the base as it is.
        assert_eq!(
            public_url("https://calls.example.com/", "/webhooks/plivo/voice"),
            "https://calls.example.com/webhooks/plivo/voice"
        );
    }
}
