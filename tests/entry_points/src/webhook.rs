//! A provider's webhook from the `lambda_http::Request` API Gateway hands the function to the
//! parsers its use case runs: the route, `admit_webhook` (size limit, source allow-list, the
//! request as signed, method), authentication, then every parser of what it carries. None may
//! panic, whatever authentication said (the fuzzer cannot sign, so parsers run regardless).

use aws_lambda_events::event::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use maskline::adapters::http::admit_webhook;
use maskline::providers::{self, authenticate, call_report, webhook_route, ProviderKind};
use maskline::webhook_config::WebhookConfig;

/// The hooks every provider has, chosen by the input's first byte.
const HOOKS: [&str; 3] = ["voice", "status", "number-health"];

/// `data`: a first byte choosing hook, method and source, then NUL-separated fields: query,
/// source address, signature header, content type, Authorization header, body (the rest).
pub fn webhook(provider: ProviderKind, data: &[u8]) {
    let Some(request) = request(provider, data) else {
        return;
    };
    let config = config();
    let Some((provider, hook)) = webhook_route(request.uri().path()) else {
        panic!(
            "the fuzzed path is a webhook route: {}",
            request.uri().path()
        );
    };
    let Ok(webhook) = admit_webhook(&request, provider, hook, config) else {
        return;
    };
    let _ = authenticate(provider, &webhook, &config.secrets, chrono::Utc::now());
    match hook {
        "voice" => drop(providers::parse_call(provider, &webhook)),
        "status" => {
            let _ = providers::parse_status(provider, &webhook);
            let _ = call_report::reported_call(&webhook.query_params());
        }
        _ => drop(providers::signed_params(provider, &webhook)),
    }
    let _ = webhook.all_params();
}

fn request(provider: ProviderKind, data: &[u8]) -> Option<Request> {
    let (&choice, rest) = data.split_first()?;
    let hook = HOOKS[usize::from(choice) % HOOKS.len()];
    let method = if choice & 0x10 == 0 { "POST" } else { "GET" };
    let mut fields = rest.splitn(6, |b| *b == 0);
    let mut text = || String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let (query, source, signature, content_type, authorization) =
        (text(), text(), text(), text(), text());
    let body = fields.next().unwrap_or_default();
    let uri = format!("https://hooks.example.com/webhooks/{provider}/{hook}?{query}");
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(uri);
    for (name, value) in [
        ("x-twilio-signature", signature.as_str()),
        ("x-plivo-signature-v3", signature.as_str()),
        ("x-plivo-signature-v3-nonce", "05429567804466091622"),
        ("content-type", content_type.as_str()),
        ("authorization", authorization.as_str()),
    ] {
        if lambda_http::http::HeaderValue::from_str(value).is_ok() {
            builder = builder.header(name, value);
        }
    }
    let body = match std::str::from_utf8(body) {
        Ok(text) if !text.is_empty() => Body::Text(text.to_string()),
        Ok(_) => Body::Empty,
        Err(_) => Body::Binary(body.to_vec()),
    };
    // Not a request API Gateway could hand over (a URI that does not parse): nothing to run.
    let request = builder.body(body).ok()?;
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.domain_name = Some("hooks.example.com".into());
    context.http.source_ip = Some(source).filter(|s| !s.is_empty());
    Some(request.with_request_context(RequestContext::ApiGatewayV2(context)))
}

/// The webhook settings as a deployment has them, read by the functions' own settings parser
/// (once: the fuzzer runs millions of inputs).
fn config() -> &'static WebhookConfig {
    static CONFIG: std::sync::OnceLock<WebhookConfig> = std::sync::OnceLock::new();
    CONFIG.get_or_init(read_config)
}

fn read_config() -> WebhookConfig {
    WebhookConfig::from_lookup(|name| {
        Some(
            match name {
                "TWILIO_AUTH_TOKEN" => {
                    "0f1e2d3c4b5a69788796a5b4c3d2e1f0,8796a5b4c3d2e1f00f1e2d3c4b5a6978"
                }
                "PLIVO_AUTH_TOKEN" => "ZmUzYjQ1NjdhODkwYmNkZWYxMjM0NTY3ODkwYWJjZGVm",
                "VONAGE_SIGNATURE_SECRET" => "fuzz-vonage-signature-secret-0123456789abcdef",
                "EXOTEL_WEBHOOK_TOKEN" => "fuzz-exotel-path-token-0123456789abcdef",
                "VONAGE_WEBHOOK_TOKEN" => "fuzz-vonage-path-token-0123456789abcdef",
                "EXOTEL_ALLOWED_CIDRS" => "192.0.2.0/24,2001:db8::/32",
                _ => return None,
            }
            .to_string(),
        )
    })
    .expect("the fuzz settings are valid")
}
