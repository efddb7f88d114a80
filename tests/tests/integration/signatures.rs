//! Our signature checks against vectors produced by the providers' official SDKs
//! (`tests/fixtures/generate_signatures.py` -> `signatures.json`).

use chrono::{DateTime, Utc};
use maskline::providers::{authenticate, AuthError, HttpMethod, ProviderKind, WebhookRequest};
use maskline::webhook_config::WebhookSecrets;
use serde_json::Value;

fn cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/signatures.json");
    let text = std::fs::read_to_string(path).expect("signature fixtures");
    let fixtures: Value = serde_json::from_str(&text).unwrap();
    fixtures["cases"].as_array().unwrap().clone()
}

fn request(case: &Value) -> WebhookRequest {
    WebhookRequest {
        method: if case["method"] == "GET" {
            HttpMethod::Get
        } else {
            HttpMethod::Post
        },
        url: case["url"].as_str().unwrap().to_string(),
        headers: case["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect(),
        body: case["body"].as_str().unwrap().as_bytes().to_vec(),
    }
}

fn secrets(secret: &str) -> WebhookSecrets {
    WebhookSecrets {
        twilio_auth_token: Some(secret.to_string()),
        plivo_auth_token: Some(secret.to_string()),
        vonage_signature_secret: Some(secret.to_string()),
        exotel_token: Some("path-token".to_string()),
        vonage_token: Some("path-token".to_string()),
    }
}

fn check(case: &Value, request: &WebhookRequest, secret: &str) -> Result<(), AuthError> {
    let provider: ProviderKind = case["provider"].as_str().unwrap().parse().unwrap();
    let now = case["now"]
        .as_i64()
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .unwrap_or_else(Utc::now);
    authenticate(provider, request, &secrets(secret), now)
}

#[test]
fn every_sdk_signed_request_verifies() {
    let cases = cases();
    assert!(cases.len() >= 10);
    for case in &cases {
        let secret = case["secret"].as_str().unwrap();
        assert_eq!(
            check(case, &request(case), secret),
            Ok(()),
            "{}: {}",
            case["provider"],
            case["name"]
        );
    }
}

#[test]
fn a_changed_byte_or_a_wrong_secret_is_refused() {
    for case in &cases() {
        let secret = case["secret"].as_str().unwrap();
        let label = format!("{}: {}", case["provider"], case["name"]);

        let mut forged = request(case);
        if forged.body.is_empty() {
            forged.url = forged.url.replace("14155550101", "14155550102");
        } else {
            let body = String::from_utf8(forged.body.clone()).unwrap();
            forged.body = body.replace("14155550101", "14155550102").into_bytes();
        }
        assert!(
            check(case, &forged, secret).is_err(),
            "forged body accepted: {label}"
        );

        assert!(
            check(case, &request(case), "not-the-secret").is_err(),
            "wrong secret accepted: {label}"
        );

        let mut unsigned = request(case);
        unsigned
            .headers
            .retain(|k, _| !k.contains("signature") && k != "authorization");
        if case["provider"] != "vonage" {
            // Vonage's answer URL may be unsigned (the path token then stands alone).
            assert!(
                check(case, &unsigned, secret).is_err(),
                "unsigned accepted: {label}"
            );
        }
    }
}

#[test]
fn a_stale_vonage_token_is_refused() {
    let case = cases()
        .into_iter()
        .find(|c| c["provider"] == "vonage")
        .unwrap();
    let request = request(&case);
    let later = DateTime::from_timestamp(case["now"].as_i64().unwrap() + 3600, 0).unwrap();
    let result = authenticate(
        ProviderKind::Vonage,
        &request,
        &secrets(case["secret"].as_str().unwrap()),
        later,
    );
    assert!(matches!(result, Err(AuthError::BadJwt(_))), "{result:?}");
}

#[test]
fn a_provider_without_its_secret_refuses_everything() {
    for case in &cases() {
        let provider: ProviderKind = case["provider"].as_str().unwrap().parse().unwrap();
        let result = authenticate(
            provider,
            &request(case),
            &WebhookSecrets::default(),
            Utc::now(),
        );
        assert!(
            matches!(result, Err(AuthError::NotConfigured(..))),
            "{result:?}"
        );
    }
}
