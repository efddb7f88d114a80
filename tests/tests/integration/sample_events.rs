//! The files in `events/` (what `cargo lambda invoke --data-file` sends) work with their handlers.

use lambda_http::Body;
use maskline::adapters::sqs_batch::Redelivery;
use maskline::domain::AllocationPolicy;
use maskline_tests::World;

use crate::support::{callbacks, india};

pub(crate) fn read(name: &str) -> String {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The time the order-platform samples carry. Events older than `SESSION_MAX_SECONDS` are
/// ignored, so the samples are sent as if just published (as `make dev` does).
const SAMPLE_TIME: &str = "2026-11-22T10:00:00Z";

/// An order-platform sample with its EventBridge `time` set to now.
fn read_fresh(name: &str) -> String {
    let sample = read(name);
    assert!(
        sample.contains(SAMPLE_TIME),
        "{name} no longer has its sample time"
    );
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    sample.replace(SAMPLE_TIME, &now)
}

#[tokio::test]
async fn each_sample_event_drives_its_function() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;

    let assigned = serde_json::from_str(&read_fresh("driver-assigned.json")).unwrap();
    let response = allocate_numbers::handler::handle(
        &world.allocator(AllocationPolicy::Shared),
        india(),
        &Redelivery::default(),
        assigned,
    )
    .await;
    assert!(response.batch_item_failures.is_empty());

    let request = lambda_http::request::from_str(&read("order-numbers.json")).unwrap();
    let response = order_numbers::handler::handle(&world.order_numbers(), request).await;
    assert_eq!(response.status(), 200);
    let Body::Text(text) = response.body() else {
        panic!("expected a JSON body")
    };
    let view: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(view["order_id"], "ORD-1");
    assert_eq!(view["state"], "active");

    for file in ["order-delivered.json", "order-cancelled.json"] {
        let ended = serde_json::from_str(&read_fresh(file)).unwrap();
        let response =
            release_numbers::handler::handle(&world.releaser(), &Redelivery::default(), ended)
                .await;
        assert!(response.batch_item_failures.is_empty(), "{file}");
    }
    let (_, view) = crate::support::order_numbers(&world, "ORD-1").await;
    assert_eq!(view["state"], "released");
}

/// The local-only secrets `make dev` configures (infra/maskctl/src/demo/settings.rs), which the
/// webhook samples are signed with, read by the functions' own settings parser: they pass its
/// start-up checks (each secret as long as its provider issues, one URL token per provider).
pub(crate) fn local_dev_config(function: &str) -> maskline::webhook_config::WebhookConfig {
    let mut config = maskline_tests::webhooks::config();
    config.secrets = maskline::webhook_config::WebhookConfig::from_lookup(|name| {
        Some(
            match name {
                "TWILIO_AUTH_TOKEN" => "10ca1de0000000000000000000000001",
                "PLIVO_AUTH_TOKEN" => "local-plivo-auth-token-made-up-0123456789",
                // The Vonage sample is an unsigned answer webhook (an account without signed
                // webhooks): a stored JWT would be too old to verify. `make dev` sends freshly
                // signed ones.
                "EXOTEL_WEBHOOK_TOKEN" => "local-exotel-url-token-made-up-0123456789",
                "VONAGE_WEBHOOK_TOKEN" => "local-vonage-url-token-made-up-0123456789",
                _ => return None,
            }
            .to_string(),
        )
    })
    .expect("make dev's secrets pass the start-up checks")
    .secrets;
    config.public_base_url = Some(format!("http://127.0.0.1:9000/lambda-url/{function}"));
    config
}

#[tokio::test]
async fn each_webhook_sample_is_accepted_and_connects_the_customer() {
    use maskline::providers::ProviderKind;
    use maskline_tests::webhooks::{body_text, decode, Decoded};

    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    // Two orders between the sample customer and agent: the customer then holds a binding on both
    // pool numbers, so the samples' call to the first one connects whatever the random picks were.
    let assigned = read_fresh("driver-assigned.json");
    let second = assigned.replace("ORD-1", "ORD-2");
    for body in [assigned, second] {
        let event = serde_json::from_str(&body).unwrap();
        let response = allocate_numbers::handler::handle(
            &world.allocator(AllocationPolicy::Shared),
            india(),
            &Redelivery::default(),
            event,
        )
        .await;
        assert!(response.batch_item_failures.is_empty());
    }

    let resolver = world.resolver(world.store.clone(), local_dev_config("resolve-call"));
    for provider in ProviderKind::ALL {
        let request =
            lambda_http::request::from_str(&read(&format!("resolve-call-{provider}.json")))
                .unwrap();
        let response = resolve_call::handler::handle(&resolver, request).await;
        let body = body_text(response.body());
        assert_eq!(response.status(), 200, "{provider}: {body}");
        assert!(
            matches!(decode(provider, &body), Decoded::Connect { callee, .. } if callee == "+919876500002"),
            "{provider}: {body}"
        );
    }

    let config = local_dev_config("call-events");
    let events = callbacks(&world, config.clone());
    let request = lambda_http::request::from_str(&read("call-events-twilio-status.json")).unwrap();
    let response = call_events::handler::handle(&events, request).await;
    assert_eq!(response.status(), 200);
    assert!(body_text(response.body()).contains("\"recorded\":true"));
}

#[tokio::test]
async fn each_whisper_sample_is_accepted_and_announces_the_order_to_the_driver() {
    use maskline::providers::call_announcement::Template;
    use maskline::providers::ProviderKind;
    use maskline_tests::call_oracle::hear_whisper;
    use maskline_tests::webhooks::body_text;

    // What `make dev` announces (infra/maskctl/src/demo/settings.rs); the whisper reads nothing.
    let world = World::new().await;
    let mut config = local_dev_config("resolve-call");
    config.answer.announcements.to_driver =
        Some(Template::parse("Call from your customer for order {order_short}").unwrap());
    let resolver = world.resolver(world.store.clone(), config);
    for provider in [
        ProviderKind::Twilio,
        ProviderKind::Plivo,
        ProviderKind::Vonage,
    ] {
        let file = format!("resolve-call-whisper-{provider}.json");
        let request = lambda_http::request::from_str(&read(&file)).unwrap();
        let response = resolve_call::handler::handle(&resolver, request).await;
        let body = body_text(response.body());
        assert_eq!(response.status(), 200, "{file}: {body}");
        assert_eq!(
            hear_whisper(provider, &body).unwrap(),
            ["Call from your customer for order RD-1"],
            "{file}"
        );
    }
}

#[tokio::test]
async fn the_pool_lifecycle_samples_drive_their_functions() {
    use std::sync::Arc;

    use maskline::adapters::provider_api::TwilioCalls;
    use maskline::config::ClickToCallMode;
    use maskline::domain::pool::PoolState;
    use maskline::domain::refill_plan::RefillRules;
    use maskline::ports::{CallDialer, PoolStore};
    use maskline_tests::fake_twilio::FakeTwilio;
    use maskline_tests::fixtures::pool_target;
    use maskline_tests::webhooks::body_text;

    let world = World::new().await;
    crate::support::add_provider_numbers(&world, "twilio", "airtel", 1, 4).await;
    // Assigned while only the Twilio numbers are active, so click-to-call has a call API.
    let assigned = serde_json::from_str(&read_fresh("driver-assigned.json")).unwrap();
    let response = allocate_numbers::handler::handle(
        &world.allocator(AllocationPolicy::Shared),
        india(),
        &Redelivery::default(),
        assigned,
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    world
        .add_numbers("blr", "jio", 101, 4, PoolState::Standby)
        .await;
    world
        .store
        .set_target(&pool_target("blr", "jio", "static", 2))
        .await
        .unwrap();
    let refill = world.refill(
        RefillRules {
            policy: AllocationPolicy::Shared,
            backups: false,
            pair_mode: maskline::domain::PairMode::Pair,
            session_cap: None,
            headroom: 0,
            cool_off: chrono::Duration::hours(1),
        },
        vec![],
    );
    let scheduled = serde_json::from_str(&read("refill-pool-scheduled.json")).unwrap();
    let done = refill_pool::handler::handle(&refill, &Redelivery::default(), scheduled)
        .await
        .unwrap();
    assert_eq!(done["regions"][0]["operators"][0]["acquired"], 2, "{done}");
    let triggers = serde_json::from_str(&read("refill-pool-triggers.json")).unwrap();
    let done = refill_pool::handler::handle(&refill, &Redelivery::default(), triggers)
        .await
        .unwrap();
    assert_eq!(done["batchItemFailures"], serde_json::json!([]));

    let fake = FakeTwilio::start();
    let dialer: Arc<dyn CallDialer> = Arc::new(TwilioCalls::new(fake.api()));
    let service = world.click_to_call(vec![("twilio", dialer)], ClickToCallMode::Always);
    let request = lambda_http::request::from_str(&read("click-to-call.json")).unwrap();
    let response = click_to_call::handler::handle(&service, request).await;
    let body = body_text(response.body());
    assert_eq!(response.status(), 202, "{body}");
    assert_eq!(
        fake.calls()[0]["To"],
        "+919876500002",
        "the sample asks for the agent first"
    );

    let config = local_dev_config("call-events");
    let events = callbacks(&world, config.clone());
    let request =
        lambda_http::request::from_str(&restamped_health_report(&config.secrets)).unwrap();
    let response = call_events::handler::handle(&events, request).await;
    let body = body_text(response.body());
    assert_eq!(response.status(), 200, "{body}");
    assert!(body.contains("\"health\":\"unhealthy\""), "{body}");
}

/// The number-health sample, made now: a report older than a week is refused by its
/// `reported_at`, so its time is set to now and it is signed again as its forwarder would,
/// with `make dev`'s Twilio token, for the URL it was signed for.
pub(crate) fn restamped_health_report(
    secrets: &maskline::webhook_config::WebhookSecrets,
) -> String {
    let mut event: serde_json::Value =
        serde_json::from_str(&read("call-events-number-health-twilio.json")).unwrap();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let params: Vec<(String, String)> =
        form_urlencoded::parse(event["body"].as_str().unwrap().as_bytes())
            .map(|(k, v)| {
                let v = if k == "reported_at" {
                    now.clone().into()
                } else {
                    v
                };
                (k.into_owned(), v.into_owned())
            })
            .collect();
    assert!(
        params.iter().any(|(k, _)| k == "reported_at"),
        "the sample carries reported_at"
    );
    let url = format!(
        "http://127.0.0.1:9000/lambda-url/call-events{}",
        event["rawPath"].as_str().unwrap()
    );
    let token = secrets.twilio_auth_token.as_deref().unwrap();
    event["headers"]["x-twilio-signature"] =
        maskline::providers::twilio::signature(token, &url, &params).into();
    event["body"] = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish()
        .into();
    event.to_string()
}

#[tokio::test]
async fn the_sessions_samples_open_read_reassign_and_close_one_order() {
    use maskline_tests::webhooks::body_text;

    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let sessions = world.sessions();
    for (file, status, state, version) in [
        ("sessions-open.json", 201, "active", 1),
        ("sessions-read.json", 200, "active", 1),
        ("sessions-reassign.json", 200, "active", 2),
        ("sessions-close.json", 200, "released", 3),
    ] {
        let request = lambda_http::request::from_str(&read(file)).unwrap();
        let response = sessions::handler::handle(&sessions, request).await;
        let body = body_text(response.body());
        assert_eq!(response.status(), status, "{file}: {body}");
        let view: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(view["order_id"], "ORD-7", "{file}");
        assert_eq!(
            (view["state"].as_str(), view["version"].as_u64()),
            (Some(state), Some(version)),
            "{file}: {body}"
        );
    }
}

#[tokio::test]
async fn the_stream_sample_announces_an_assignment_then_a_release() {
    let world = World::new().await;
    let event = serde_json::from_str(&read("announce-session-changes.json")).unwrap();
    let response = announce::handler::handle(&world.announcer(), event).await;
    assert!(response.batch_item_failures.is_empty());
    let kinds: Vec<(String, serde_json::Value)> = world
        .events
        .read(2)
        .await
        .into_iter()
        .map(|e| (e.detail_type, e.detail["version"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("MaskedNumbersAssigned".to_string(), 1.into()),
            ("MaskedNumbersReleased".to_string(), 2.into())
        ]
    );
}
