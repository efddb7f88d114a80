//! Secrets that list nothing fail closed. `"$NEW,$OLD"` with both empty gives `","`; a provider
//! marked unused gives `"-"`, and a rotation of an unused one `"-,"`. Each must leave the provider
//! "not configured" (every request refused), never verify signatures made with an empty or `-`
//! key, which anyone can make: a customer knowing their own number and the VN in their app would
//! otherwise learn the other party's real number.

use maskline::providers::{twilio, HttpMethod, ProviderKind, WebhookRequest};
use maskline::services::WebhookOutcome;
use maskline::webhook_config::WebhookConfig;
use maskline_tests::fixtures::customer_phone;
use maskline_tests::webhooks::PUBLIC_BASE;

use crate::support::world_with_order;

/// A Twilio voice request from the customer to the VN, signed with `key`.
fn signed_with_key(key: &str, from: &str, to: &str) -> WebhookRequest {
    let url = format!("{PUBLIC_BASE}/webhooks/twilio/voice");
    let params: Vec<(String, String)> = [
        ("CallSid", "CA-attacker"),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", from),
        ("To", to),
        ("CallStatus", "ringing"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    WebhookRequest {
        method: HttpMethod::Post,
        headers: [
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ),
            (
                "x-twilio-signature".to_string(),
                twilio::signature(key, &url, &params),
            ),
        ]
        .into_iter()
        .collect(),
        url,
        body: body.into_bytes(),
    }
}

#[tokio::test]
async fn a_token_made_only_of_separators_or_placeholders_refuses_every_request() {
    let (world, customer_dials, _) = world_with_order().await;
    let customer = customer_phone(1);
    for configured in [",", " , ", "-,", "-, none"] {
        let config = WebhookConfig::from_lookup(|name| match name {
            "TWILIO_AUTH_TOKEN" => Some(configured.to_string()),
            "PUBLIC_WEBHOOK_BASE_URL" => Some(PUBLIC_BASE.to_string()),
            _ => None,
        })
        .unwrap();
        let resolver = world.resolver(world.store.clone(), config);
        for attacker_key in ["", "-", " "] {
            let request = signed_with_key(attacker_key, &customer, &customer_dials);
            let outcome = resolver.answer(ProviderKind::Twilio, &request).await;
            assert_eq!(
                outcome,
                WebhookOutcome::Refused,
                "TWILIO_AUTH_TOKEN={configured:?} verified a request signed with {attacker_key:?}"
            );
        }
    }
}
