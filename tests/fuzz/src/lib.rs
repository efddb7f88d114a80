//! What the webhook targets share: arbitrary bytes turned into a provider request (a URL, headers,
//! a body), then run through exactly what the functions run before anything is read.

use std::collections::HashMap;

use maskline::providers::{self, authenticate, HttpMethod, ProviderKind, WebhookRequest};
use maskline::webhook_config::WebhookSecrets;

/// Splits `data` at NUL bytes into up to five fields: URL, signature header, content type, an
/// extra header value, body. Whatever the fuzzer sends, every field is present (maybe empty).
pub fn request(data: &[u8]) -> WebhookRequest {
    let mut parts = data.splitn(5, |b| *b == 0);
    let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let url = format!("https://hooks.example.com/{}", text());
    let signature = text();
    let content_type = text();
    let authorization = text();
    let body = parts.next().unwrap_or_default().to_vec();
    let method = if body.is_empty() {
        HttpMethod::Get
    } else {
        HttpMethod::Post
    };
    WebhookRequest {
        method,
        url,
        headers: HashMap::from([
            ("x-twilio-signature".to_string(), signature.clone()),
            ("x-plivo-signature-v3".to_string(), signature),
            (
                "x-plivo-signature-v3-nonce".to_string(),
                "05429567804466091622".to_string(),
            ),
            ("content-type".to_string(), content_type),
            ("authorization".to_string(), authorization),
        ]),
        body,
    }
}

fn secrets() -> WebhookSecrets {
    WebhookSecrets {
        twilio_auth_token: Some("fuzz-twilio-token,older-twilio-token".into()),
        plivo_auth_token: Some("fuzz-plivo-token".into()),
        vonage_signature_secret: Some("fuzz-vonage-secret".into()),
        exotel_token: Some("fuzz-exotel-token".into()),
        vonage_token: Some("fuzz-vonage-token".into()),
    }
}

/// Authentication, then (whatever it said) every parser of the provider: none may panic.
pub fn exercise(provider: ProviderKind, data: &[u8]) {
    let request = request(data);
    let _ = authenticate(provider, &request, &secrets(), chrono::Utc::now());
    let _ = providers::parse_call(provider, &request);
    let _ = providers::parse_status(provider, &request);
    let _ = request.all_params();
    let _ = maskline::providers::call_report::reported_call(&request.query_params());
}
