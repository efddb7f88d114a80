//! What the parties hear before the bridge, through each provider's own mechanism: the callee's
//! announcement (`ANNOUNCE_TO_DRIVER` / `ANNOUNCE_TO_CUSTOMER`), the recording consent notice
//! (`RECORD_CALLS`), the whisper route the providers fetch, and the out-of-session forward.
//! Answers are read by the tests' own oracle (`call_oracle`), not by the product's simulator.

use std::sync::Arc;

use chrono::Duration;
use maskline::domain::ids::is_phone_number;
use maskline::providers::call_announcement::{Template, DEFAULT_CONSENT_MESSAGE};
use maskline::providers::ProviderKind;
use maskline::services::ResolveCall;
use maskline::webhook_config::{WebhookConfig, WebhookSecrets};
use maskline_tests::call_oracle::{before_bridge, hear, hear_whisper, BeforeBridge, Heard};
use maskline_tests::counting_store::CountingStore;
use maskline_tests::fixtures::{customer_phone, driver_assigned, driver_phone, e164, order_ended};
use maskline_tests::webhooks::{body_text, config, whisper_fetch, PUBLIC_BASE};
use maskline_tests::world::GRACE_SECONDS;
use maskline_tests::World;

use crate::support::{allocate_ok, call, numbers_of, release};

const ORDER: &str = "ORD-4821";
const TO_DRIVER: &str = "Call from your customer for order {order_short}";
const HEARD_BY_DRIVER: &str = "Call from your customer for order 4821";

/// A pool of four VNs and ORD-4821 assigned: (world, customer_dials, driver_dials).
async fn world_with_order() -> (World, String, String) {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned(ORDER, "blr", 1, 1)]).await;
    let (customer_dials, driver_dials) = numbers_of(&world, ORDER).await;
    (world, customer_dials, driver_dials)
}

/// The test settings with `change` applied to the answer options.
fn configured(change: impl FnOnce(&mut maskline::providers::AnswerOptions)) -> WebhookConfig {
    let mut config = config();
    change(&mut config.answer);
    config
}

fn announcing_to_driver() -> WebhookConfig {
    configured(|a| a.announcements.to_driver = Some(Template::parse(TO_DRIVER).unwrap()))
}

/// The provider fetching the whisper `url`, signed with `secrets`: (status, body).
async fn fetch(
    resolver: &ResolveCall,
    provider: ProviderKind,
    url: &str,
    secrets: &WebhookSecrets,
) -> (u16, String) {
    let response =
        resolve_call::handler::handle(resolver, whisper_fetch(provider, url, secrets)).await;
    (response.status().as_u16(), body_text(response.body()))
}

/// What the callee hears before the bridge: the answer's own playback (Exotel), or the whisper
/// its provider fetches from the URL the answer names, as the provider fetches it.
async fn callee_hears(
    resolver: &ResolveCall,
    provider: ProviderKind,
    heard: &BeforeBridge,
) -> Vec<String> {
    let Some(url) = &heard.callee_url else {
        return heard.callee.clone();
    };
    assert!(
        heard.callee.is_empty(),
        "{provider}: text in the answer and a whisper"
    );
    assert!(
        url.starts_with(&format!("{PUBLIC_BASE}/webhooks/{provider}/whisper?")),
        "{provider}: {url}"
    );
    let (status, body) = fetch(resolver, provider, url, &config().secrets).await;
    assert_eq!(status, 200, "{provider}: {body}");
    hear_whisper(provider, &body).unwrap()
}

/// A URL carries no phone number: no `+` (plain or encoded), no value that reads as one, and no
/// run of 7 or more digits outside the seal and the token (secrets, which may hold such runs).
fn carries_no_number(url: &str) -> bool {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    !url.contains('+')
        && !url.contains("%2B")
        && form_urlencoded::parse(query.as_bytes()).all(|(name, value)| {
            let longest_digits = value
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            !is_phone_number(&value) && (name == "seal" || name == "token" || longest_digits < 7)
        })
}

#[tokio::test]
async fn with_announce_to_driver_the_driver_alone_hears_the_order_and_the_call_path_reads_once() {
    let (world, customer_dials, driver_dials) = world_with_order().await;
    let counting = Arc::new(CountingStore::new(world.store.clone()));
    let resolver = world.resolver(counting.clone(), announcing_to_driver());
    let (customer, driver) = (customer_phone(1), driver_phone(1));
    for provider in ProviderKind::ALL {
        let before = counting.calls();
        let (status, body) = call(&resolver, provider, &customer, &customer_dials).await;
        assert_eq!(status, 200, "{provider}: {body}");
        assert_eq!(
            counting.calls() - before,
            1,
            "{provider}: one read to connect"
        );
        assert_eq!(
            hear(provider, &body).unwrap(),
            Heard::Connect {
                callee: driver.clone(),
                caller_id: driver_dials.clone()
            },
            "{provider}"
        );
        let heard = before_bridge(provider, &body).unwrap();
        assert!(
            heard.caller.is_empty(),
            "{provider}: the caller hears {heard:?}"
        );
        if let Some(url) = &heard.callee_url {
            assert!(carries_no_number(url), "{provider}: {url}");
        }
        let after_connect = counting.calls();
        assert_eq!(
            callee_hears(&resolver, provider, &heard).await,
            [HEARD_BY_DRIVER],
            "{provider}"
        );
        assert_eq!(
            counting.calls(),
            after_connect,
            "{provider}: the whisper reads nothing"
        );
        // The other way round nothing is configured: the customer hears nothing first.
        let (_, body) = call(&resolver, provider, &driver, &driver_dials).await;
        assert_eq!(
            before_bridge(provider, &body).unwrap(),
            BeforeBridge::default(),
            "{provider}: {body}"
        );
    }
}

/// The answers exactly as they were before announcements existed, for ORD-4821's customer
/// calling its driver: only the request for the forwarded leg's result (`dial_result`) and
/// Plivo's per-call report URL (`call_report`) were added since, the first's URL made by the
/// product and checked in `dial_retry`.
fn answer_without_announcements(
    provider: ProviderKind,
    driver: &str,
    driver_dials: &str,
    customer_dials: &str,
) -> String {
    let digits = |n: &str| n.trim_start_matches('+').to_string();
    let dial_result = maskline::providers::dial_result::url(
        &format!("{PUBLIC_BASE}/webhooks/{provider}/dial-result"),
        provider,
        &maskline::providers::dial_result::DialedLeg {
            order_id: maskline::domain::OrderId::parse(ORDER).unwrap(),
            caller_side: maskline::domain::Side::Customer,
            dialled: maskline::domain::VirtualNumber::parse(customer_dials, None).unwrap(),
            retries: 0,
        },
        &config().secrets,
    );
    let action = dial_result.replace('&', "&amp;");
    match provider {
        ProviderKind::Twilio => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial action=\"{action}\" method=\"POST\" callerId=\"{driver_dials}\" timeLimit=\"3600\" timeout=\"30\" record=\"do-not-record\"><Number statusCallback=\"{PUBLIC_BASE}/webhooks/twilio/status?order={ORDER}&amp;side=customer&amp;vn=%2B{}\" statusCallbackEvent=\"completed\" statusCallbackMethod=\"POST\">{driver}</Number></Dial></Response>",
            digits(customer_dials)
        ),
        ProviderKind::Exotel => format!(
            "{{\"destination\":{{\"numbers\":[\"{driver}\"]}},\"fetch_after_attempt\":true,\"max_conversation_duration\":3600,\"max_ringing_duration\":30,\"outgoing_phone_number\":\"{driver_dials}\",\"record\":false}}"
        ),
        ProviderKind::Plivo => format!(
            "<Response><Dial action=\"{action}\" method=\"POST\" callerId=\"{}\" timeLimit=\"3600\" timeout=\"30\" callbackUrl=\"{PUBLIC_BASE}/webhooks/plivo/status?order={ORDER}&amp;side=customer&amp;vn=%2B{}\" callbackMethod=\"POST\"><Number>{}</Number></Dial></Response>",
            digits(driver_dials),
            digits(customer_dials),
            digits(driver)
        ),
        ProviderKind::Vonage => format!(
            "[{{\"action\":\"connect\",\"endpoint\":[{{\"number\":\"{}\",\"type\":\"phone\"}}],\"eventMethod\":\"POST\",\"eventType\":\"synchronous\",\"eventUrl\":[\"{dial_result}\"],\"from\":\"{}\",\"limit\":3600,\"timeout\":30}}]",
            digits(driver),
            digits(driver_dials)
        ),
    }
}

#[tokio::test]
async fn with_nothing_configured_every_answer_is_byte_for_byte_what_it_was() {
    let (world, customer_dials, driver_dials) = world_with_order().await;
    let resolver = world.resolver(world.store.clone(), config());
    let driver = driver_phone(1);
    for provider in ProviderKind::ALL {
        let (status, body) = call(&resolver, provider, &customer_phone(1), &customer_dials).await;
        assert_eq!(status, 200, "{provider}: {body}");
        assert_eq!(
            body,
            answer_without_announcements(provider, &driver, &driver_dials, &customer_dials),
            "{provider}"
        );
        assert_eq!(
            before_bridge(provider, &body).unwrap(),
            BeforeBridge::default()
        );
    }
}

#[tokio::test]
async fn with_recording_on_both_parties_hear_the_consent_notice_before_the_bridge() {
    let (world, customer_dials, driver_dials) = world_with_order().await;
    let consent = "This call is recorded for your safety.";
    let recording = |announce: bool| {
        configured(|a| {
            a.record = true;
            a.announcements.consent_message = consent.into();
            if announce {
                a.announcements.to_driver = Some(Template::parse(TO_DRIVER).unwrap());
            }
        })
    };
    let (customer, driver) = (customer_phone(1), driver_phone(1));
    for provider in ProviderKind::ALL {
        // Consent alone: the caller before the dial, the callee on answering.
        let resolver = world.resolver(world.store.clone(), recording(false));
        let (_, body) = call(&resolver, provider, &driver, &driver_dials).await;
        assert!(
            matches!(hear(provider, &body).unwrap(), Heard::Connect { .. }),
            "{provider}"
        );
        let heard = before_bridge(provider, &body).unwrap();
        assert_eq!(heard.caller, [consent], "{provider}: {body}");
        assert_eq!(
            callee_hears(&resolver, provider, &heard).await,
            [consent],
            "{provider}"
        );
        // With the driver's announcement: the driver hears it, then the notice.
        let resolver = world.resolver(world.store.clone(), recording(true));
        let (_, body) = call(&resolver, provider, &customer, &customer_dials).await;
        let heard = before_bridge(provider, &body).unwrap();
        let to_driver = format!("{HEARD_BY_DRIVER} {consent}");
        assert_eq!(
            callee_hears(&resolver, provider, &heard).await,
            [to_driver.as_str()],
            "{provider}"
        );
        // Exotel plays one message, to both parties when the caller must hear the notice too.
        let caller_hears: Vec<&str> = match provider {
            ProviderKind::Exotel => vec![to_driver.as_str()],
            _ => vec![consent],
        };
        assert_eq!(heard.caller, caller_hears, "{provider}: {body}");
    }
    // The default notice when none is configured.
    let resolver = world.resolver(world.store.clone(), configured(|a| a.record = true));
    let (_, body) = call(&resolver, ProviderKind::Twilio, &customer, &customer_dials).await;
    assert_eq!(
        before_bridge(ProviderKind::Twilio, &body).unwrap().caller,
        [DEFAULT_CONSENT_MESSAGE]
    );
}

#[tokio::test]
async fn a_forged_or_altered_whisper_request_is_refused() {
    let (world, customer_dials, _) = world_with_order().await;
    let counting = Arc::new(CountingStore::new(world.store.clone()));
    let settings = announcing_to_driver();
    let resolver = world.resolver(counting.clone(), settings.clone());
    let forged = WebhookSecrets {
        twilio_auth_token: Some("forged-twilio-auth-token-0123456789".into()),
        plivo_auth_token: Some("forged-plivo-auth-token-0123456789".into()),
        vonage_signature_secret: Some("forged-vonage-secret-0123456789".into()),
        exotel_token: Some("forged-exotel-token-0123456789".into()),
        vonage_token: Some(settings.secrets.vonage_token.clone().unwrap()),
    };
    for provider in ProviderKind::ALL {
        let (_, body) = call(&resolver, provider, &customer_phone(1), &customer_dials).await;
        let Some(url) = before_bridge(provider, &body).unwrap().callee_url else {
            assert_eq!(provider, ProviderKind::Exotel);
            // Exotel fetches nothing: it has no whisper route at all.
            let request = lambda_http::http::Request::builder()
                .method("GET")
                .uri("/webhooks/exotel/whisper?order=ORD-4821&callee=driver")
                .body(lambda_http::Body::Empty)
                .unwrap();
            let response = resolve_call::handler::handle(&resolver, request).await;
            assert_eq!(response.status().as_u16(), 404);
            continue;
        };
        let reads = counting.calls();
        // Signed with the wrong secret (Vonage: sealed with the wrong one).
        let forged_url = match provider {
            ProviderKind::Vonage => url.replace("seal=", "seal=0"),
            _ => url.clone(),
        };
        let (status, _) = fetch(&resolver, provider, &forged_url, &forged).await;
        assert_eq!(status, 403, "{provider}: forged");
        // Properly signed, then the callee's side changed on the way.
        let mut altered = whisper_fetch(provider, &url, &settings.secrets);
        let uri = altered
            .uri()
            .to_string()
            .replace("callee=driver", "callee=customer");
        *altered.uri_mut() = uri.parse().unwrap();
        let status = resolve_call::handler::handle(&resolver, altered)
            .await
            .status()
            .as_u16();
        assert_eq!(status, 403, "{provider}: altered");
        assert_eq!(
            counting.calls(),
            reads,
            "{provider}: refused before anything"
        );
    }
    // Vonage without its path token.
    let (_, body) = call(
        &resolver,
        ProviderKind::Vonage,
        &customer_phone(1),
        &customer_dials,
    )
    .await;
    let url = before_bridge(ProviderKind::Vonage, &body)
        .unwrap()
        .callee_url
        .unwrap();
    let token = settings.secrets.vonage_token.as_deref().unwrap();
    let (status, _) = fetch(
        &resolver,
        ProviderKind::Vonage,
        &url.replace(token, "not-the-token-0123456789"),
        &settings.secrets,
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn out_of_session_forward_rings_support_never_a_party_of_an_ended_order() {
    let (world, customer_dials, driver_dials) = world_with_order().await;
    let support = "+919876599990";
    let mut settings = configured(|a| a.out_of_session_forward = Some(e164(support)));
    // The world's clock moves past grace, and a Vonage JWT signed at the real now would be too
    // old for it: Vonage unsigned (its path token alone) here.
    settings.secrets.vonage_signature_secret = None;
    let resolver = world.resolver(world.store.clone(), settings);
    assert!(release(&world, &[order_ended("OrderDelivered", ORDER)])
        .await
        .is_empty());
    world.clock.advance(Duration::seconds(GRACE_SECONDS + 5));
    let (customer, driver) = (customer_phone(1), driver_phone(1));
    for provider in ProviderKind::ALL {
        for (from, dialled) in [
            (&customer, &customer_dials),
            (&driver, &driver_dials),
            (&customer_phone(50), &customer_dials),
        ] {
            let (status, body) = call(&resolver, provider, from, dialled).await;
            assert_eq!(status, 200, "{provider}: {body}");
            // Support rings, shown the dialled VN: never the other party, never the caller.
            assert_eq!(
                hear(provider, &body).unwrap(),
                Heard::Connect {
                    callee: support.into(),
                    caller_id: dialled.clone()
                },
                "{provider}"
            );
            for party in [&customer, &driver] {
                assert!(
                    !body.contains(party.trim_start_matches('+')),
                    "{provider}: {body}"
                );
            }
        }
    }
}
