use serde_json::{json, Value};

use super::*;

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn doc(line: &str) -> Value {
    serde_json::from_str(line).unwrap()
}

/// A metric's value: a count is a number, a sample (the pool figures) a list of one.
fn value(doc: &Value, name: &str) -> Value {
    match &doc[name] {
        Value::Array(samples) => samples[0].clone(),
        other => other.clone(),
    }
}

fn number(v: Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn pool_figures_follow_the_embedded_metric_format() {
    let figures = OperatorFigures {
        pool_size: 12,
        healthy: 11,
        standby: 3,
        live_bindings: 40,
        largest_per_participant: 4,
    };
    let line = pool_figures_line(
        &Region::parse("blr").unwrap(),
        &Operator::parse("airtel").unwrap(),
        &figures,
        at(),
    );
    let doc = doc(&line);
    let spec = &doc["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(doc["_aws"]["Timestamp"], at().timestamp_millis());
    assert_eq!(spec["Namespace"], "Maskline");
    assert_eq!(spec["Dimensions"], json!([["Stack", "Region", "Operator"]]));
    // Every declared metric has a value at the top level, as EMF requires.
    for metric in spec["Metrics"].as_array().unwrap() {
        let name = metric["Name"].as_str().unwrap();
        assert!(number(value(&doc, name)) >= 0.0, "{name} has no value");
        assert_eq!(metric["Unit"], "Count", "{name}");
    }
    assert_eq!(
        (
            &doc["Region"],
            &doc["Operator"],
            number(value(&doc, "HealthyNumbers")),
            number(value(&doc, "LargestSessionsPerParticipant"))
        ),
        (&json!("blr"), &json!("airtel"), 11.0, 4.0)
    );
    assert!(!line.contains('\n'), "one document per line");
}

#[test]
fn exhaustion_is_counted_per_region() {
    let doc = doc(&pool_exhausted_line(&Region::parse("del").unwrap(), at()));
    assert_eq!(doc["PoolExhausted"], 1);
    assert_eq!(doc["Region"], "del");
}

/// Staging and prod in one account: each stack's alarms must see only its own series.
#[test]
fn every_metric_carries_the_stack_dimension() {
    let region = Region::parse("blr").unwrap();
    let figures = OperatorFigures {
        pool_size: 1,
        healthy: 1,
        standby: 0,
        live_bindings: 0,
        largest_per_participant: 0,
    };
    let lines = [
        pool_figures_line(&region, &Operator::parse("jio").unwrap(), &figures, at()),
        pool_exhausted_line(&region, at()),
        event_ignored_line("DriverAssigned", "too_old", at()),
        call_path_failure_line(at()),
    ];
    for line in lines {
        let doc = doc(&line);
        let dimensions = &doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0];
        assert_eq!(dimensions[0], "Stack", "{line}");
        assert_eq!(doc["Stack"], stack_name().as_str(), "{line}");
    }
}

#[test]
fn every_emitted_metric_is_listed_and_names_no_number() {
    let region = Region::parse("blr").unwrap();
    let figures = OperatorFigures {
        pool_size: 2,
        healthy: 2,
        standby: 1,
        live_bindings: 3,
        largest_per_participant: 1,
    };
    let docs = render(at(), || {
        pool_figures(&region, &Operator::parse("jio").unwrap(), &figures);
        pool_target(&region, &Operator::parse("jio").unwrap(), 3);
        pool_exhausted(&region);
        numbers_assigned(&region);
        event_ignored("OrderEnded", "too_old");
        call_path_failure();
        call_answered(ProviderKind::Twilio, "connect");
        webhook_refused(ProviderKind::Plivo);
    });
    let mut seen = Vec::new();
    for doc in &docs {
        let line = doc.to_string();
        assert_eq!(doc["Stack"], stack_name().as_str());
        let spec = &doc["_aws"]["CloudWatchMetrics"][0];
        for dimension in spec["Dimensions"][0].as_array().unwrap() {
            let value = doc[dimension.as_str().unwrap()].as_str().unwrap();
            // Names only: a dimension value never holds a digit run a number could hide in.
            assert!(!value.chars().any(|c| c.is_ascii_digit()), "{line}");
        }
        for metric in spec["Metrics"].as_array().unwrap() {
            seen.push(metric["Name"].as_str().unwrap().to_string());
        }
    }
    seen.sort();
    seen.dedup();
    let mut emitted: Vec<String> = EMITTED.iter().map(|s| s.to_string()).collect();
    emitted.sort();
    assert_eq!(seen, emitted);
}
