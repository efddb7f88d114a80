//! A forward leg that fails (the operator could not connect it) is tried once more on the
//! callee's backup VN, through each provider's own report of the leg: Twilio's and Plivo's
//! `<Dial action>`, Vonage's synchronous `connect` event URL, Exotel's re-fetch after the attempt.
//! Answers are read the way the providers read them (`call_oracle`), never by substring.

use maskline::domain::VirtualNumber;
use maskline::ports::PoolStore;
use maskline::providers::answer::DEFAULT_OUT_OF_SESSION_MESSAGE;
use maskline::providers::ProviderKind;
use maskline::services::ResolveCall;
use maskline::webhook_config::WebhookSecrets;
use maskline_tests::call_oracle::{before_bridge, dial_result_url, ends_quietly, hear, Heard};
use maskline_tests::fixtures::{customer_phone, driver_assigned, driver_phone};
use maskline_tests::webhooks::{body_text, config, dial_result, provider_request};
use maskline_tests::world::SUSPECT_AFTER;
use maskline_tests::World;
use serde_json::Value;

use crate::call_log::log;
use crate::support::{allocate_ok, allocate_with_backups, callbacks, order_numbers};

const PROVIDERS: [ProviderKind; 4] = [
    ProviderKind::Twilio,
    ProviderKind::Plivo,
    ProviderKind::Vonage,
    ProviderKind::Exotel,
];

/// An order's numbers as the apps see them.
struct Numbers {
    customer_dials: String,
    driver_dials: String,
    driver_backup: Option<String>,
}

async fn numbers(world: &World, order: &str) -> Numbers {
    let (status, view) = order_numbers(world, order).await;
    assert_eq!(status, 200, "{view}");
    let text = |field: &str| view[field].as_str().map(str::to_string);
    Numbers {
        customer_dials: text("customer_dials").unwrap(),
        driver_dials: text("driver_dials").unwrap(),
        driver_backup: text("driver_backup"),
    }
}

/// A world with two operators in `blr` (`static` numbers, which every provider's route opens).
async fn two_operators() -> World {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 10).await;
    world.add_pool("blr", "jio", 101, 10).await;
    world
}

/// `order` between customer `i` and driver `i`, with backups.
async fn order_with_backups(world: &World, order: &str, i: u32) -> Numbers {
    let failed = allocate_with_backups(world, &[driver_assigned(order, "blr", i, i)]).await;
    assert!(failed.is_empty(), "{failed:?}");
    let numbers = numbers(world, order).await;
    assert!(numbers.driver_backup.is_some(), "backups on");
    numbers
}

/// What the provider does with `body`, and where it reports the leg's result.
struct Answered {
    heard: Heard,
    dial_result: Option<String>,
    body: String,
}

fn read(provider: ProviderKind, status: u16, body: String) -> Answered {
    assert_eq!(status, 200, "{provider}: {body}");
    Answered {
        heard: hear(provider, &body).unwrap(),
        dial_result: dial_result_url(provider, &body).unwrap(),
        body,
    }
}

/// The caller hears the out-of-service message (Exotel's answer carries no text to check).
fn assert_out_of_service(provider: ProviderKind, answer: &Answered) {
    assert_eq!(
        answer.heard,
        Heard::OutOfSession,
        "{provider}: {}",
        answer.body
    );
    if provider != ProviderKind::Exotel {
        assert_eq!(
            before_bridge(provider, &answer.body).unwrap().caller,
            [DEFAULT_OUT_OF_SESSION_MESSAGE],
            "{provider}"
        );
    }
}

/// The customer of `numbers` calls their VN through `provider`.
async fn customer_calls(
    resolver: &ResolveCall,
    provider: ProviderKind,
    call_id: &str,
    i: u32,
    numbers: &Numbers,
) -> Answered {
    let voice = provider_request(
        provider,
        "voice",
        call_id,
        &customer_phone(i),
        &numbers.customer_dials,
        &[],
    );
    let response = resolve_call::handler::handle(resolver, voice).await;
    read(
        provider,
        response.status().as_u16(),
        body_text(response.body()),
    )
}

/// `provider` reports the leg `answered` asked about as `status` (signed with `secrets`).
/// Exotel fetches the voice URL of the call again, with the attempt's outcome.
#[allow(clippy::too_many_arguments)]
async fn report(
    resolver: &ResolveCall,
    provider: ProviderKind,
    answered: &Answered,
    secrets: &WebhookSecrets,
    call_id: &str,
    i: u32,
    numbers: &Numbers,
    status: &str,
) -> (u16, String) {
    let url = answered.dial_result.as_deref().unwrap_or_else(|| {
        panic!(
            "{provider} was not asked for the leg's result: {}",
            answered.body
        )
    });
    let request = match provider {
        ProviderKind::Exotel => maskline_tests::webhooks::signed_with(
            secrets,
            provider,
            "voice",
            call_id,
            &customer_phone(i),
            &numbers.customer_dials,
            &[("DialCallStatus", status)],
        ),
        _ => dial_result(provider, url, secrets, call_id, status),
    };
    let response = resolve_call::handler::handle(resolver, request).await;
    (response.status().as_u16(), body_text(response.body()))
}

/// Each provider's word for a leg the operator could not connect.
fn failed(provider: ProviderKind) -> &'static str {
    match provider {
        // Plivo's `timeout` is its carrier timeout while connecting; `failed` is tried below.
        ProviderKind::Plivo => "timeout",
        _ => "failed",
    }
}

#[tokio::test]
async fn every_provider_retries_a_failed_forward_once_on_the_backup() {
    let world = two_operators().await;
    let resolver = world.resolver(world.store.clone(), config());
    let secrets = config().secrets;
    for (i, provider) in (1..).zip(PROVIDERS) {
        let order = format!("ORD-{i}");
        let numbers = order_with_backups(&world, &order, i).await;
        let backup = numbers.driver_backup.clone().unwrap();
        let call_id = format!("CA-retry-{i}");
        let first = customer_calls(&resolver, provider, &call_id, i, &numbers).await;
        assert_eq!(
            first.heard,
            Heard::Connect {
                callee: driver_phone(i),
                caller_id: numbers.driver_dials.clone()
            },
            "{provider}: the first forward is unchanged"
        );
        let url = first.dial_result.clone();
        assert!(url.is_some(), "{provider} asked for the leg's result");
        assert!(
            !url.unwrap().contains(&customer_phone(i)[3..]),
            "no real number in the URL"
        );

        let (status, body) = report(
            &resolver,
            provider,
            &first,
            &secrets,
            &call_id,
            i,
            &numbers,
            failed(provider),
        )
        .await;
        let retry = read(provider, status, body);
        assert_eq!(
            retry.heard,
            Heard::Connect {
                callee: driver_phone(i),
                caller_id: backup.clone()
            },
            "{provider}: the same callee, shown the backup VN they would dial back"
        );
        assert_ne!(backup, numbers.driver_dials);

        if provider == ProviderKind::Exotel {
            // No URL can name the retry: Exotel is asked for no further fetch.
            assert_eq!(retry.dial_result, None, "{}", retry.body);
            continue;
        }
        // The retry fails too: no second retry, the out-of-service message.
        let (status, body) = report(
            &resolver, provider, &retry, &secrets, &call_id, i, &numbers, "failed",
        )
        .await;
        let last = read(provider, status, body);
        assert_out_of_service(provider, &last);
    }
}

#[tokio::test]
async fn busy_unanswered_and_finished_legs_end_the_call_without_a_retry() {
    let world = two_operators().await;
    let resolver = world.resolver(world.store.clone(), config());
    let secrets = config().secrets;
    let numbers = order_with_backups(&world, "ORD-1", 1).await;
    for provider in PROVIDERS {
        let statuses: &[&str] = match provider {
            ProviderKind::Vonage => &["busy", "unanswered", "timeout", "completed"],
            ProviderKind::Plivo => &["busy", "no-answer", "cancel", "completed"],
            _ => &["busy", "no-answer", "canceled", "completed"],
        };
        for status in statuses {
            let call_id = format!("CA-{provider}-{status}");
            let first = customer_calls(&resolver, provider, &call_id, 1, &numbers).await;
            let (code, body) = report(
                &resolver, provider, &first, &secrets, &call_id, 1, &numbers, status,
            )
            .await;
            assert_eq!(code, 200, "{provider} {status}: {body}");
            assert!(
                ends_quietly(provider, &body).unwrap(),
                "{provider} {status} ends as it is: {body}"
            );
        }
    }
    // Vonage's synchronous event URL also hears the leg's progress: acknowledged, nothing run.
    let first = customer_calls(&resolver, ProviderKind::Vonage, "CA-progress", 1, &numbers).await;
    let (code, body) = report(
        &resolver,
        ProviderKind::Vonage,
        &first,
        &secrets,
        "CA-progress",
        1,
        &numbers,
        "answered",
    )
    .await;
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((code, &reply["recorded"]), (200, &Value::Bool(false)));
    // Nothing was retried. Vonage's dial result is its per-call report: its final legs are in
    // the call log (Twilio and Plivo report theirs to the status route, not called here).
    let (_, log) = log(&callbacks(&world, config()), "ORD-1").await;
    let logged: Vec<(&str, &str, bool)> = log["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["provider"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
                c["retried_on_backup"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("vonage", "busy", false),
            ("vonage", "completed", false),
            ("vonage", "no-answer", false),
            ("vonage", "no-answer", false),
        ],
        "{log}"
    );
}

#[tokio::test]
async fn a_failed_forward_without_a_backup_hears_the_out_of_service_message() {
    let world = two_operators().await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let numbers = numbers(&world, "ORD-1").await;
    assert_eq!(numbers.driver_backup, None);
    let resolver = world.resolver(world.store.clone(), config());
    let secrets = config().secrets;
    for provider in PROVIDERS {
        let call_id = format!("CA-nobackup-{provider}");
        let first = customer_calls(&resolver, provider, &call_id, 1, &numbers).await;
        let (status, body) = report(
            &resolver,
            provider,
            &first,
            &secrets,
            &call_id,
            1,
            &numbers,
            failed(provider),
        )
        .await;
        let last = read(provider, status, body);
        assert!(!ends_quietly(provider, &last.body).unwrap() || provider == ProviderKind::Exotel);
        assert_out_of_service(provider, &last);
    }
}

#[tokio::test]
async fn a_forged_or_unsigned_dial_result_is_refused_and_changes_nothing() {
    let world = two_operators().await;
    let resolver = world.resolver(world.store.clone(), config());
    let secrets = config().secrets;
    let numbers = order_with_backups(&world, "ORD-1", 1).await;
    let forged = WebhookSecrets {
        twilio_auth_token: Some("f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0".into()),
        plivo_auth_token: Some("forged-plivo-auth-token-0000000000000".into()),
        vonage_signature_secret: Some("forged-vonage-signature-secret-000000".into()),
        exotel_token: Some("forged-exotel-token-00000000000000000".into()),
        vonage_token: Some("forged-vonage-token-00000000000000000".into()),
    };
    for provider in PROVIDERS {
        let call_id = format!("CA-forged-{provider}");
        let first = customer_calls(&resolver, provider, &call_id, 1, &numbers).await;
        let (status, body) = report(
            &resolver,
            provider,
            &first,
            &forged,
            &call_id,
            1,
            &numbers,
            failed(provider),
        )
        .await;
        assert_eq!(status, 403, "{provider}: {body}");
    }
    // Vonage: a genuine signature over an altered query (the attempt reset to run again) fails
    // the seal; an unsigned report (no JWT) fails outright.
    let first = customer_calls(&resolver, ProviderKind::Vonage, "CA-v", 1, &numbers).await;
    let url = first.dial_result.clone().unwrap();
    let altered = url.replace("attempt=0", "attempt=1");
    assert_ne!(altered, url);
    let request = dial_result(ProviderKind::Vonage, &altered, &secrets, "CA-v", "failed");
    let response = resolve_call::handler::handle(&resolver, request).await;
    assert_eq!(response.status().as_u16(), 403);
    let unsigned = WebhookSecrets {
        vonage_signature_secret: None,
        ..secrets.clone()
    };
    let request = dial_result(ProviderKind::Vonage, &url, &unsigned, "CA-v", "failed");
    let response = resolve_call::handler::handle(&resolver, request).await;
    assert_eq!(response.status().as_u16(), 403);

    let (_, calls) = log(&callbacks(&world, config()), "ORD-1").await;
    assert!(calls["calls"].as_array().unwrap().is_empty(), "{calls}");
    let vn = VirtualNumber::parse(&numbers.customer_dials, None).unwrap();
    let number = world.store.pool_number(&vn).await.unwrap().unwrap();
    assert!(!number.suspect);
    // The run of failures is untouched: one more failure than the threshold needs would flag it.
    assert_eq!(
        world.store.record_call_outcome(&vn, true).await.unwrap(),
        1,
        "no refused report counted"
    );
}

#[tokio::test]
async fn a_retry_shows_in_the_call_log_and_forwards_that_keep_failing_flag_the_number() {
    let world = two_operators().await;
    let resolver = world.resolver(world.store.clone(), config());
    let secrets = config().secrets;
    let numbers = order_with_backups(&world, "ORD-1", 1).await;
    let vn = VirtualNumber::parse(&numbers.customer_dials, None).unwrap();
    for n in 1..=SUSPECT_AFTER {
        assert!(!world.store.pool_number(&vn).await.unwrap().unwrap().suspect);
        let call_id = format!("CA-keeps-failing-{n}");
        let first = customer_calls(&resolver, ProviderKind::Twilio, &call_id, 1, &numbers).await;
        let (status, body) = report(
            &resolver,
            ProviderKind::Twilio,
            &first,
            &secrets,
            &call_id,
            1,
            &numbers,
            "failed",
        )
        .await;
        let retry = read(ProviderKind::Twilio, status, body);
        assert!(
            matches!(retry.heard, Heard::Connect { .. }),
            "{}",
            retry.body
        );
    }
    assert!(
        world.store.pool_number(&vn).await.unwrap().unwrap().suspect,
        "{SUSPECT_AFTER} failed forwards in a row flag the number"
    );
    let suspects = world.events.read_of_type("NumberSuspect", 1).await;
    assert_eq!(suspects[0].detail["vn"], numbers.customer_dials.as_str());

    let (_, log) = log(&callbacks(&world, config()), "ORD-1").await;
    let calls = log["calls"].as_array().unwrap();
    assert_eq!(calls.len(), SUSPECT_AFTER as usize, "{log}");
    for call in calls {
        assert_eq!(
            (
                &call["status"],
                &call["retried_on_backup"],
                &call["dialled"]
            ),
            (
                &Value::from("failed"),
                &Value::Bool(true),
                &Value::from(numbers.customer_dials.as_str())
            ),
            "{log}"
        );
    }
}
