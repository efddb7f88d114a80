//! Rotating a provider's secret drops no call: with the new secret listed before the old, requests
//! signed with either verify while the provider switches over; once the old one is dropped, only
//! the new one does.

use maskline::providers::ProviderKind;
use maskline::webhook_config::WebhookSecrets;
use maskline_tests::fixtures::customer_phone;
use maskline_tests::webhooks::{body_text, config, decode, signed_with, Decoded};

use crate::support::world_with_order;

fn rotated(old: &WebhookSecrets, keep_old: bool) -> WebhookSecrets {
    let list = |secret: &Option<String>, new: &str| {
        secret.as_ref().map(|old| match keep_old {
            true => format!("{new},{old}"),
            false => new.to_string(),
        })
    };
    WebhookSecrets {
        twilio_auth_token: list(&old.twilio_auth_token, "new-twilio-token"),
        plivo_auth_token: list(&old.plivo_auth_token, "new-plivo-token"),
        vonage_signature_secret: list(&old.vonage_signature_secret, "new-vonage-secret"),
        exotel_token: list(&old.exotel_token, "new-exotel-token"),
        vonage_token: list(&old.vonage_token, "new-vonage-token"),
    }
}

#[tokio::test]
async fn a_rotated_secret_accepts_old_and_new_signatures_until_the_old_is_dropped() {
    let (world, customer_dials, _) = world_with_order().await;
    let old = config().secrets;
    let during = rotated(&old, true);
    let after = rotated(&old, false);
    let answer = |secrets: WebhookSecrets, signer: WebhookSecrets, provider: ProviderKind| {
        let mut settings = config();
        settings.secrets = secrets;
        let resolver = world.resolver(world.store.clone(), settings);
        let request = signed_with(
            &signer,
            provider,
            "voice",
            "CA-rot",
            &customer_phone(1),
            &customer_dials,
            &[],
        );
        async move {
            let response = resolve_call::handler::handle(&resolver, request).await;
            (response.status().as_u16(), body_text(response.body()))
        }
    };
    for provider in ProviderKind::ALL {
        // While both are listed: the provider may still sign with the old secret, or already
        // with the new one; either way the caller is connected.
        for signer in [&old, &during] {
            let (status, body) = answer(during.clone(), signer.clone(), provider).await;
            assert_eq!(status, 200, "{provider}: {body}");
            assert!(
                matches!(decode(provider, &body), Decoded::Connect { .. }),
                "{provider}: {body}"
            );
        }
        // The old one dropped: only the new one verifies.
        let (status, _) = answer(after.clone(), old.clone(), provider).await;
        assert_eq!(status, 403, "{provider}: the dropped secret still verifies");
        let (status, body) = answer(after.clone(), after.clone(), provider).await;
        assert_eq!(status, 200, "{provider}: {body}");
    }
}
