//! The provider API adapters against local fakes of Twilio and Exotel: what they send, what they
//! make of the answers, and that failures land on the right side of Refused / Unavailable. No
//! database is involved.

use chrono::Utc;
use maskline::adapters::provider_api::{ExotelCalls, TwilioApi, TwilioCalls, TwilioNumbers};
use maskline::domain::pool::{Health, PoolNumber, PoolState};
use maskline::domain::{Operator, OrderId, Provider, Region, VirtualNumber};
use maskline::ports::dialer::{BridgeCall, CallDialer, DialError};
use maskline::ports::number_provider::{
    AcquiredNumber, NumberProvider, NumberProviderError, NumberRequest,
};
use maskline_tests::fake_exotel::{self, FakeExotel};
use maskline_tests::fake_twilio::FakeTwilio;
use maskline_tests::fixtures::{customer_phone, driver_phone, e164, vn};

/// Made-up numbers in the 555-01xx range reserved for fiction.
const OFFERED: [&str; 3] = ["+14155550101", "+14155550102", "+14155550103"];
const WEBHOOKS: &str = "https://calls.example.com";

fn numbers(fake: &FakeTwilio) -> TwilioNumbers {
    TwilioNumbers::new(fake.api(), "US", WEBHOOKS)
}

fn request(count: u32, search: Option<&str>) -> NumberRequest {
    NumberRequest {
        region: Region::parse("sfo").unwrap(),
        operator: Operator::parse("twilio-us").unwrap(),
        count,
        search: search.map(str::to_string),
    }
}

/// Buys the way refill does: one search, then one purchase per offered number.
async fn buy(
    adapter: &TwilioNumbers,
    wanted: &NumberRequest,
) -> Result<Vec<AcquiredNumber>, NumberProviderError> {
    let mut bought = Vec::new();
    for vn in adapter.offered(wanted).await? {
        if let Some(number) = adapter.acquire_one(wanted, &vn).await? {
            bought.push(number);
        }
    }
    Ok(bought)
}

fn pool_number(number: &str, provider_ref: Option<&str>) -> PoolNumber {
    PoolNumber {
        vn: VirtualNumber::parse(number, None).unwrap(),
        region: Region::parse("sfo").unwrap(),
        operator: Operator::parse("twilio-us").unwrap(),
        provider: Provider::parse("twilio").unwrap(),
        health: Health::Healthy,
        state: PoolState::Retiring,
        suspect: false,
        provider_ref: provider_ref.map(str::to_string),
        activated_at: Utc::now(),
    }
}

fn bridge_call() -> BridgeCall {
    BridgeCall {
        order_id: OrderId::parse("ORD-1").unwrap(),
        first: e164(&customer_phone(1)),
        first_sees: vn(1),
        second: e164(&driver_phone(2)),
        second_sees: vn(2),
        max_call_seconds: 900,
        served_base: None,
    }
}

#[tokio::test]
async fn twilio_search_and_purchase_returns_the_offered_numbers_wired_to_our_webhooks() {
    let fake = FakeTwilio::start();
    fake.offer(&OFFERED);

    let acquired = buy(&numbers(&fake), &request(3, None)).await.unwrap();

    let bought = fake.bought();
    assert_eq!(bought.len(), 3);
    let got: Vec<&str> = acquired.iter().map(|a| a.vn.as_str()).collect();
    assert_eq!(got, OFFERED);
    for (number, sale) in acquired.iter().zip(&bought) {
        assert!(sale.sid.starts_with("PN"));
        assert_eq!(number.provider_ref.as_deref(), Some(sale.sid.as_str()));
        assert_eq!(
            sale.voice_url.as_deref(),
            Some("https://calls.example.com/webhooks/twilio/voice")
        );
        assert_eq!(sale.voice_method.as_deref(), Some("POST"));
        assert_eq!(
            sale.status_callback.as_deref(),
            Some("https://calls.example.com/webhooks/twilio/status")
        );
        assert_eq!(sale.status_callback_method.as_deref(), Some("POST"));
        // Tagged with region and operator (never the number), so it can be found again.
        assert_eq!(sale.friendly_name, "maskline/sfo/twilio-us");
    }
    assert!(fake.available().is_empty());
    let search = &fake.requests()[0];
    assert_eq!(search.method, "GET");
    assert!(search
        .path
        .ends_with("/AvailablePhoneNumbers/US/Local.json"));
    assert_eq!(search.query["VoiceEnabled"], "true");
}

#[tokio::test]
async fn twilio_buys_no_more_than_asked() {
    let fake = FakeTwilio::start();
    fake.offer(&OFFERED);

    let acquired = buy(&numbers(&fake), &request(2, None)).await.unwrap();

    assert_eq!(acquired.len(), 2);
    assert_eq!(fake.bought().len(), 2);
    assert_eq!(fake.available(), [OFFERED[2]]);
    assert_eq!(fake.requests()[0].query["PageSize"], "2");
}

#[tokio::test]
async fn twilio_search_filter_is_sent_as_query_parameters() {
    let fake = FakeTwilio::start();
    fake.offer(&OFFERED[..1]);

    numbers(&fake)
        .offered(&request(1, Some("AreaCode=415&Contains=555*")))
        .await
        .unwrap();

    let query = &fake.requests()[0].query;
    assert_eq!(query["AreaCode"], "415");
    assert_eq!(query["Contains"], "555*");
    assert_eq!(query["PageSize"], "1");
}

#[tokio::test]
async fn twilio_skips_a_number_someone_else_bought_after_the_search() {
    let fake = FakeTwilio::start();
    fake.offer(&OFFERED);
    fake.snatch_after_next_search(&[OFFERED[0]]);

    let acquired = buy(&numbers(&fake), &request(3, None)).await.unwrap();

    let got: Vec<&str> = acquired.iter().map(|a| a.vn.as_str()).collect();
    assert_eq!(got, &OFFERED[1..]);
    let attempts = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(attempts, 3, "the snatched number was tried, then skipped");
}

#[tokio::test]
async fn twilio_concurrent_buyers_never_get_the_same_number() {
    let fake = FakeTwilio::start();
    fake.offer(&OFFERED);
    let (a, b) = (numbers(&fake), numbers(&fake));

    let wanted = request(2, None);

    let (first, second) = tokio::join!(buy(&a, &wanted), buy(&b, &wanted));

    let mut all: Vec<String> = first
        .unwrap()
        .into_iter()
        .chain(second.unwrap())
        .map(|n| n.vn.as_str().to_string())
        .collect();
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), total, "a number was handed to both buyers");
    // Each buyer searched for two, so the second may find both taken; nothing is lost either way.
    assert!(total >= 2, "only {total} bought");
    assert_eq!(total, fake.bought().len());
}

#[tokio::test]
async fn twilio_give_back_deletes_the_right_sid_and_tolerates_404() {
    let fake = FakeTwilio::start();
    fake.offer(&OFFERED[..2]);
    let adapter = numbers(&fake);
    let acquired = buy(&adapter, &request(2, None)).await.unwrap();
    let second = &acquired[1];
    let number = pool_number(second.vn.as_str(), second.provider_ref.as_deref());

    adapter.give_back(&number).await.unwrap();
    assert_eq!(fake.released(), [second.provider_ref.clone().unwrap()]);
    let delete = fake.requests().last().unwrap().clone();
    assert_eq!(delete.method, "DELETE");
    assert!(delete.path.ends_with(&format!(
        "/IncomingPhoneNumbers/{}.json",
        second.provider_ref.as_deref().unwrap()
    )));

    // Again: Twilio no longer has it (404), which is what giving back wanted.
    adapter.give_back(&number).await.unwrap();
    let unknown = pool_number(OFFERED[2], Some("PN00000000000000000000000000000099"));
    adapter.give_back(&unknown).await.unwrap();
    assert_eq!(fake.released().len(), 1);
}

#[tokio::test]
async fn twilio_give_back_without_a_sid_is_refused_without_a_request() {
    let fake = FakeTwilio::start();
    let err = numbers(&fake)
        .give_back(&pool_number(OFFERED[0], None))
        .await
        .unwrap_err();
    assert!(matches!(err, NumberProviderError::Refused { .. }), "{err}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn twilio_wrong_token_is_refused_and_buys_nothing() {
    let fake = FakeTwilio::start();
    fake.offer(&OFFERED);
    let api = TwilioApi {
        auth_token: "not-the-token".into(),
        ..fake.api()
    };

    let err = TwilioNumbers::new(api, "US", WEBHOOKS)
        .offered(&request(1, None))
        .await
        .unwrap_err();

    match &err {
        NumberProviderError::Refused { provider, detail } => {
            assert_eq!(provider, "twilio");
            assert!(
                detail.contains("401") && detail.contains("20003"),
                "{detail}"
            );
        }
        other => panic!("expected Refused, got {other}"),
    }
    assert!(fake.bought().is_empty());
    assert_eq!(fake.available().len(), 3);
}

#[tokio::test]
async fn twilio_server_errors_are_unavailable() {
    let fake = FakeTwilio::start();
    fake.offer(&OFFERED);
    fake.fail_next(1);

    let err = buy(&numbers(&fake), &request(1, None)).await.unwrap_err();

    assert!(
        matches!(&err, NumberProviderError::Unavailable { detail, .. } if detail.contains("500")),
        "{err}"
    );
    assert!(fake.bought().is_empty());
    // Once the outage passes the same request works.
    assert_eq!(
        buy(&numbers(&fake), &request(1, None)).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn twilio_a_purchase_whose_answer_is_lost_is_listed_as_held() {
    let fake = FakeTwilio::start();
    fake.offer(&OFFERED);
    fake.lose_next_reply_to("POST");
    let adapter = numbers(&fake);
    let wanted = request(1, None);

    // Twilio sold the number, but the answer never came: to the caller it is a mere outage.
    let err = adapter
        .acquire_one(&wanted, &VirtualNumber::parse(OFFERED[0], None).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, NumberProviderError::Unavailable { .. }),
        "{err}"
    );
    assert_eq!(fake.bought().len(), 1);

    // Its tag finds it again, with the sid needed to give it back.
    let held = adapter.held(&wanted).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].vn.as_str(), OFFERED[0]);
    assert_eq!(
        held[0].provider_ref.as_deref(),
        Some(fake.bought()[0].sid.as_str())
    );
    let listing = fake.requests().last().unwrap().clone();
    assert_eq!(listing.method, "GET");
    assert!(listing.path.ends_with("/IncomingPhoneNumbers.json"));
    assert_eq!(listing.query["FriendlyName"], "maskline/sfo/twilio-us");
    // Another operator's tag lists none of it.
    let other = NumberRequest {
        operator: Operator::parse("other").unwrap(),
        ..request(1, None)
    };
    assert!(adapter.held(&other).await.unwrap().is_empty());
}

#[tokio::test]
async fn two_stacks_on_one_twilio_account_hold_only_their_own_numbers() {
    let fake = FakeTwilio::start();
    fake.offer(&OFFERED);
    let wanted = request(1, None);
    let staging = numbers(&fake).scoped_to("maskline-staging");
    let prod = numbers(&fake).scoped_to("maskline-prod");
    let bought = VirtualNumber::parse(OFFERED[0], None).unwrap();
    staging.acquire_one(&wanted, &bought).await.unwrap();
    assert_eq!(
        fake.bought()[0].friendly_name,
        "maskline/maskline-staging/sfo/twilio-us"
    );

    assert_eq!(staging.held(&wanted).await.unwrap().len(), 1);
    assert!(
        prod.held(&wanted).await.unwrap().is_empty(),
        "prod must not adopt (or later release) staging's number"
    );
    // A number bought before purchases were scoped (unscoped tag) is still found.
    let legacy = VirtualNumber::parse(OFFERED[1], None).unwrap();
    numbers(&fake).acquire_one(&wanted, &legacy).await.unwrap();
    let held: Vec<String> = prod
        .held(&wanted)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.vn.to_string())
        .collect();
    assert_eq!(held, [legacy.to_string()]);
}

#[tokio::test]
async fn twilio_held_numbers_are_read_across_pages_and_released_ones_drop_out() {
    let fake = FakeTwilio::start();
    let offered: Vec<String> = (1..=5).map(|i| vn(i).to_string()).collect();
    fake.offer(&offered.iter().map(String::as_str).collect::<Vec<_>>());
    fake.page_listings_by(2);
    let adapter = numbers(&fake);
    let bought = buy(&adapter, &request(5, None)).await.unwrap();
    adapter
        .give_back(&pool_number(
            bought[4].vn.as_str(),
            bought[4].provider_ref.as_deref(),
        ))
        .await
        .unwrap();

    let held = adapter.held(&request(1, None)).await.unwrap();

    assert_eq!(held, bought[..4]);
    let pages: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/IncomingPhoneNumbers.json"))
        .collect();
    assert_eq!(pages.len(), 2, "four numbers, two per page");
    assert!(pages[1].query.contains_key("PageToken"), "{:?}", pages[1]);
    assert_eq!(pages[1].query["FriendlyName"], "maskline/sfo/twilio-us");
}

#[tokio::test]
async fn twilio_listing_failures_are_sorted() {
    let fake = FakeTwilio::start();
    fake.fail_next(1);
    let err = numbers(&fake).held(&request(1, None)).await.unwrap_err();
    assert!(
        matches!(err, NumberProviderError::Unavailable { .. }),
        "{err}"
    );
    let api = TwilioApi {
        auth_token: "nope".into(),
        ..fake.api()
    };
    let err = TwilioNumbers::new(api, "US", WEBHOOKS)
        .held(&request(1, None))
        .await
        .unwrap_err();
    assert!(matches!(err, NumberProviderError::Refused { .. }), "{err}");
}

#[tokio::test]
async fn twilio_bad_search_filter_is_refused_before_any_request() {
    let fake = FakeTwilio::start();
    fake.offer(&OFFERED);

    for bad in [
        "AreaCode",
        "AreaCode=415&&Contains=1",
        "PageSize=500",
        "Area Code=415",
    ] {
        let err = numbers(&fake)
            .offered(&request(1, Some(bad)))
            .await
            .unwrap_err();
        assert!(
            matches!(err, NumberProviderError::Refused { .. }),
            "{bad}: {err}"
        );
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn twilio_click_to_call_rings_first_and_dials_second() {
    let fake = FakeTwilio::start();
    let call = bridge_call();

    let placed = TwilioCalls::new(fake.api()).bridge(&call).await.unwrap();

    assert!(placed.call_id.starts_with("CA"), "{}", placed.call_id);
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    let form = &calls[0];
    assert_eq!(form["To"], customer_phone(1));
    assert_eq!(form["From"], vn(1).as_str());
    let twiml = &form["Twiml"];
    assert!(
        twiml.contains(&format!(r#"callerId="{}""#, vn(2).as_str())),
        "{twiml}"
    );
    assert!(twiml.contains(r#"timeLimit="900""#), "{twiml}");
    assert!(
        twiml.contains(&format!("<Number>{}</Number>", driver_phone(2))),
        "{twiml}"
    );
}

#[tokio::test]
async fn twilio_click_to_call_failures_are_sorted() {
    let fake = FakeTwilio::start();
    fake.fail_next(1);
    let calls = TwilioCalls::new(fake.api());
    let err = calls.bridge(&bridge_call()).await.unwrap_err();
    assert!(matches!(err, DialError::Unavailable { .. }), "{err}");

    let wrong = TwilioCalls::new(TwilioApi {
        auth_token: "nope".into(),
        ..fake.api()
    });
    let err = wrong.bridge(&bridge_call()).await.unwrap_err();
    assert!(matches!(err, DialError::Refused { .. }), "{err}");
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn twilio_unreachable_is_unavailable() {
    // A port nobody listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = TwilioApi {
        base_url: format!("http://127.0.0.1:{port}"),
        ..TwilioApi::new("AC1", "tok")
    };
    let err = TwilioCalls::new(api)
        .bridge(&bridge_call())
        .await
        .unwrap_err();
    assert!(matches!(err, DialError::Unavailable { .. }), "{err}");
}

#[tokio::test]
async fn exotel_connect_sends_the_documented_fields_with_basic_auth() {
    let fake = FakeExotel::start();

    let placed = ExotelCalls::new(fake.api())
        .bridge(&bridge_call())
        .await
        .unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let seen = &requests[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(
        seen.path,
        format!(
            "/v1/Accounts/{}/Calls/connect.json",
            fake_exotel::ACCOUNT_SID
        )
    );
    assert_eq!(
        seen.basic_auth,
        Some((
            fake_exotel::API_KEY.to_string(),
            fake_exotel::API_TOKEN.to_string()
        ))
    );
    assert_eq!(seen.form["From"], customer_phone(1));
    assert_eq!(seen.form["To"], driver_phone(2));
    assert_eq!(seen.form["CallerId"], vn(1).as_str());
    assert_eq!(seen.form["TimeLimit"], "900");
    assert_eq!(seen.form["CallType"], "trans");
    assert_eq!(fake.calls().len(), 1);
    assert_eq!(placed.call_id.len(), 32);
}

#[tokio::test]
async fn exotel_failures_are_sorted_and_never_echo_numbers() {
    let fake = FakeExotel::start();
    fake.fail_next(1);
    let err = ExotelCalls::new(fake.api())
        .bridge(&bridge_call())
        .await
        .unwrap_err();
    assert!(matches!(err, DialError::Unavailable { .. }), "{err}");

    let mut api = fake.api();
    api.api_token = "nope".into();
    let err = ExotelCalls::new(api)
        .bridge(&bridge_call())
        .await
        .unwrap_err();
    assert!(matches!(err, DialError::Refused { .. }), "{err}");
    let text = err.to_string();
    assert!(!text.contains(&customer_phone(1)) && !text.contains(&driver_phone(2)));
    assert!(fake.calls().is_empty());
}
