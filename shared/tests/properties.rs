//! Properties checked over many generated cases (proptest): what must hold for any input, not only
//! for the chosen cases of the unit tests.

use std::collections::{BTreeMap, HashMap};

use aws_lambda_events::event::sqs::SqsEvent;
use maskline::adapters::sqs_batch::{process_batch, MessageFailure, Redelivery};
use maskline::domain::number::mask;
use maskline::providers::{twilio, HttpMethod, WebhookRequest};
use proptest::prelude::*;

const TOKEN: &str = "property-test-token";
const HOST: &str = "https://hooks.example.com/";

fn form(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `text` with its byte `at` (ASCII) replaced by `with`.
fn replace_byte(text: &str, at: usize, with: &str) -> String {
    format!("{}{with}{}", &text[..at], &text[at + 1..])
}

/// A form POST to `url`, signed with `TOKEN` as Twilio signs.
fn signed_request(url: &str, params: &BTreeMap<String, String>) -> WebhookRequest {
    let pairs: Vec<(String, String)> = params.clone().into_iter().collect();
    WebhookRequest {
        method: HttpMethod::Post,
        url: url.to_string(),
        headers: HashMap::from([
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ),
            (
                twilio::SIGNATURE_HEADER.to_ascii_lowercase(),
                twilio::signature(TOKEN, url, &pairs),
            ),
        ]),
        body: form(&pairs).into_bytes(),
    }
}

proptest! {
    /// A masked number shows its country prefix and last four digits, and nothing in between.
    #[test]
    fn a_masked_number_hides_every_digit_but_the_prefix_and_the_last_four(
        digits in "[1-9][0-9]{7,14}",
    ) {
        let number = format!("+{digits}");
        let masked = mask(&number);
        prop_assert_eq!(masked.len(), number.len());
        prop_assert_eq!(&masked[..3], &number[..3]);
        prop_assert_eq!(&masked[masked.len() - 4..], &number[number.len() - 4..]);
        prop_assert!(masked[3..masked.len() - 4].chars().all(|c| c == '*'), "{}", masked);
    }

    /// A signed Twilio request verifies, and a change to any byte of its URL path or of any
    /// parameter value makes it fail.
    #[test]
    fn any_changed_byte_of_a_signed_twilio_request_fails_verification(
        path in "[a-z]{1,8}/[a-z]{1,8}",
        params in proptest::collection::btree_map("[A-Z][a-zA-Z]{0,8}", "[a-zA-Z0-9]{1,12}", 1..6),
        pick in any::<prop::sample::Index>(),
        replacement in "[a-zA-Z0-9]",
        in_url in any::<bool>(),
    ) {
        let url = format!("{HOST}{path}");
        let original = signed_request(&url, &params);
        prop_assert!(twilio::verify(&original, TOKEN).is_ok());

        let mut tampered = original.clone();
        if in_url {
            let at = HOST.len() + pick.index(path.len());
            tampered.url = replace_byte(&url, at, &replacement);
            prop_assume!(tampered.url != url);
        } else {
            let mut pairs: Vec<(String, String)> = params.clone().into_iter().collect();
            let which = pick.index(pairs.len());
            let value = pairs[which].1.clone();
            pairs[which].1 = replace_byte(&value, pick.index(value.len()), &replacement);
            prop_assume!(pairs[which].1 != value);
            tampered.body = form(&pairs).into_bytes();
        }
        prop_assert!(twilio::verify(&tampered, TOKEN).is_err());
    }

    /// A batch's failures name exactly its bad records, whatever their mix and order.
    #[test]
    fn a_batch_reports_exactly_its_bad_records(bad in proptest::collection::vec(any::<bool>(), 1..20)) {
        let records: Vec<serde_json::Value> = bad
            .iter()
            .enumerate()
            .map(|(i, bad)| serde_json::json!({
                "messageId": format!("m{i}"),
                "body": if *bad { "bad" } else { "good" },
            }))
            .collect();
        let event: SqsEvent =
            serde_json::from_value(serde_json::json!({ "Records": records })).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let response = runtime.block_on(process_batch(
            &event,
            &Redelivery::default(),
            async |body: &str| match body {
                "bad" => Err(MessageFailure::permanent("a bad record")),
                _ => Ok(()),
            },
        ));
        let reported: Vec<String> =
            response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
        let expected: Vec<String> = bad
            .iter()
            .enumerate()
            .filter(|(_, bad)| **bad)
            .map(|(i, _)| format!("m{i}"))
            .collect();
        prop_assert_eq!(reported, expected);
    }
}
