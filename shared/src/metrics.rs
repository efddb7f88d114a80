//! CloudWatch metrics as Embedded Metric Format log lines: a JSON line on stdout that CloudWatch
//! Logs turns into metrics, so a function needs no PutMetricData call (and no extra latency or
//! permission) to publish them. Dimensions are regions and operators only, never a number.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::domain::refill_plan::OperatorFigures;
use crate::domain::{Operator, Region};

pub const NAMESPACE: &str = "Maskline";

/// One EMF document: `dimensions` name the series, `values` are (metric, value) counts.
pub fn emf_line(
    dimensions: &[(&str, &str)],
    values: &[(&str, u64)],
    timestamp: DateTime<Utc>,
) -> String {
    let mut document = Map::new();
    document.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(name, _)| *name).collect::<Vec<_>>()],
                "Metrics": values
                    .iter()
                    .map(|(name, _)| json!({"Name": name, "Unit": "Count"}))
                    .collect::<Vec<_>>(),
            }],
        }),
    );
    for (name, value) in dimensions {
        document.insert((*name).into(), Value::String((*value).into()));
    }
    for (name, value) in values {
        document.insert((*name).into(), json!(value));
    }
    Value::Object(document).to_string()
}

/// The pool figures of one (region, operator), as refill sees them after its run.
pub fn pool_figures_line(
    region: &Region,
    operator: &Operator,
    figures: &OperatorFigures,
    timestamp: DateTime<Utc>,
) -> String {
    emf_line(
        &[("Region", region.as_str()), ("Operator", operator.as_str())],
        &[
            ("PoolSize", figures.pool_size.into()),
            ("HealthyNumbers", figures.healthy.into()),
            ("StandbyNumbers", figures.standby.into()),
            ("LiveBindings", figures.live_bindings.into()),
            (
                "LargestSessionsPerParticipant",
                figures.largest_per_participant.into(),
            ),
        ],
        timestamp,
    )
}

pub fn pool_exhausted_line(region: &Region, timestamp: DateTime<Utc>) -> String {
    emf_line(
        &[("Region", region.as_str())],
        &[("PoolExhausted", 1)],
        timestamp,
    )
}

/// An event acknowledged without acting on it, by why (`too_old`, `undecided_order`).
pub fn event_ignored_line(detail_type: &str, reason: &str, timestamp: DateTime<Utc>) -> String {
    emf_line(
        &[("DetailType", detail_type), ("Reason", reason)],
        &[("EventsIgnored", 1)],
        timestamp,
    )
}

pub fn event_ignored(detail_type: &str, reason: &str) {
    emit(&event_ignored_line(detail_type, reason, Utc::now()));
}

/// A call that could not be routed because the store failed (the caller heard "try again").
/// No dimension: one series to alarm on, whichever provider carried the call.
pub fn call_path_failure_line(timestamp: DateTime<Utc>) -> String {
    emf_line(&[], &[("CallPathFailures", 1)], timestamp)
}

pub fn call_path_failure() {
    emit(&call_path_failure_line(Utc::now()));
}

/// Writes an EMF line to stdout, where the Lambda runtime hands it to CloudWatch Logs.
pub fn emit(line: &str) {
    println!("{line}");
}

pub fn pool_exhausted(region: &Region) {
    emit(&pool_exhausted_line(region, Utc::now()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_figures_follow_the_embedded_metric_format() {
        let figures = OperatorFigures {
            pool_size: 12,
            healthy: 11,
            standby: 3,
            live_bindings: 40,
            largest_per_participant: 4,
        };
        let t = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let line = pool_figures_line(
            &Region::parse("blr").unwrap(),
            &Operator::parse("airtel").unwrap(),
            &figures,
            t,
        );
        let doc: Value = serde_json::from_str(&line).unwrap();
        let spec = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(doc["_aws"]["Timestamp"], t.timestamp_millis());
        assert_eq!(spec["Namespace"], "Maskline");
        assert_eq!(spec["Dimensions"], json!([["Region", "Operator"]]));
        // Every declared metric has a value at the top level, as EMF requires.
        for metric in spec["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(doc[name].is_number(), "{name} has no value");
        }
        assert_eq!(
            (
                &doc["Region"],
                &doc["Operator"],
                &doc["HealthyNumbers"],
                &doc["LargestSessionsPerParticipant"]
            ),
            (&json!("blr"), &json!("airtel"), &json!(11), &json!(4))
        );
        assert!(!line.contains('\n'), "one document per line");
    }

    #[test]
    fn exhaustion_is_counted_per_region() {
        let doc: Value = serde_json::from_str(&pool_exhausted_line(
            &Region::parse("del").unwrap(),
            Utc::now(),
        ))
        .unwrap();
        assert_eq!(doc["PoolExhausted"], 1);
        assert_eq!(doc["Region"], "del");
    }
}
