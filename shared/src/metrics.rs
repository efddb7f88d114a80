//! CloudWatch metrics through the `metrics` facade, written as Embedded Metric Format documents by
//! `metrics_cloudwatch_embedded`: JSON lines on stdout that CloudWatch Logs turns into metrics, so
//! a function needs no PutMetricData call (and no extra latency or permission) to publish them.
//!
//! Every metric carries a `Stack` dimension (the stack's name, from `STACK_NAME`), set once here,
//! so a staging and a prod stack in one account never trip each other's alarms. The other
//! dimensions are regions, operators, providers and reasons, never a number: a metric's labels
//! are low-cardinality names that anyone with CloudWatch read access can list.
//!
//! In a function, [`install_for_lambda`] makes this module's backend the global recorder and
//! `app::run` flushes it after every invocation; anywhere else (tests, the CLI) the calls below
//! record nothing, and [`render`] shows what they would write.

use ::metrics::{counter, describe_counter, describe_histogram, histogram, Unit};
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};
use metrics_cloudwatch_embedded::{Builder, Collector};
use serde_json::Value;

use crate::domain::refill_plan::OperatorFigures;
use crate::domain::{Operator, ProviderKind, Region};

pub const NAMESPACE: &str = "Maskline";
/// The environment variable the template sets to `!Ref AWS::StackName`.
pub const STACK_ENV: &str = "STACK_NAME";
/// The dimension every metric carries.
pub const STACK_DIMENSION: &str = "Stack";

/// The pool figures refill measures per (region, operator).
pub const POOL_FIGURES: [&str; 5] = [
    "PoolSize",
    "HealthyNumbers",
    "StandbyNumbers",
    "LiveBindings",
    "LargestSessionsPerParticipant",
];

/// Every metric name this module emits (the dashboard and alarms may name only these), besides
/// the backend's `ColdStart`.
pub const EMITTED: [&str; 12] = [
    "PoolSize",
    "TargetNumbers",
    "HealthyNumbers",
    "StandbyNumbers",
    "LiveBindings",
    "LargestSessionsPerParticipant",
    "PoolExhausted",
    "Allocations",
    "EventsIgnored",
    "CallPathFailures",
    "CallsAnswered",
    "WebhookRefusals",
];
pub const COLD_START: &str = "ColdStart";

/// The stack's name, or `local` outside AWS (cargo lambda watch, tests).
pub fn stack_name() -> String {
    std::env::var(STACK_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "local".into())
}

/// The global recorder for a Lambda function: each invocation's metrics go out in documents
/// tagged with its `RequestId`, and the first invocation of an environment counts a `ColdStart`
/// (both done by the backend's runtime layer, which `app::run` adds).
pub fn install_for_lambda() -> &'static Collector {
    collector()
}

/// The backend, installed as the process's global recorder on first use. The backend can make
/// only this one collector per process (its configuration and recorder types are private).
fn collector() -> &'static Collector {
    static COLLECTOR: OnceLock<&'static Collector> = OnceLock::new();
    COLLECTOR.get_or_init(|| {
        let collector = Builder::new()
            .cloudwatch_namespace(NAMESPACE)
            .with_dimension(STACK_DIMENSION, stack_name())
            .lambda_cold_start_metric(COLD_START)
            .with_lambda_request_id("RequestId")
            .init()
            .expect("no other metrics recorder is installed");
        describe();
        collector
    })
}

/// Units, so CloudWatch shows counts as counts.
fn describe() {
    for name in EMITTED {
        if POOL_FIGURES.contains(&name) || name == "TargetNumbers" {
            describe_histogram!(name, Unit::Count, "");
        } else {
            describe_counter!(name, Unit::Count, "");
        }
    }
}

/// The pool figures of one (region, operator), as refill sees them after its run. Recorded as
/// one sample each (histograms), not gauges: the backend re-sends a gauge's last value on every
/// flush, which would repeat one region's stale figures after another region's run.
pub fn pool_figures(region: &Region, operator: &Operator, figures: &OperatorFigures) {
    let labels = [
        ("Region", region.as_str().to_string()),
        ("Operator", operator.as_str().to_string()),
    ];
    let values = [
        figures.pool_size,
        figures.healthy,
        figures.standby,
        figures.live_bindings,
        figures.largest_per_participant,
    ];
    for (name, value) in POOL_FIGURES.into_iter().zip(values) {
        histogram!(name, &labels).record(f64::from(value));
    }
}

/// The numbers refill wants for one (region, operator) this run (its target with headroom), to
/// read the figures above against.
pub fn pool_target(region: &Region, operator: &Operator, wanted: u32) {
    let labels = [
        ("Region", region.as_str().to_string()),
        ("Operator", operator.as_str().to_string()),
    ];
    histogram!("TargetNumbers", &labels).record(f64::from(wanted));
}

pub fn pool_exhausted(region: &Region) {
    counter!("PoolExhausted", "Region" => region.as_str().to_string()).increment(1);
}

/// A session given numbers (new, or moved to another agent), per region.
pub fn numbers_assigned(region: &Region) {
    counter!("Allocations", "Region" => region.as_str().to_string()).increment(1);
}

/// An event acknowledged without acting on it, by why (`too_old`, `undecided_order`).
pub fn event_ignored(detail_type: &'static str, reason: &'static str) {
    counter!("EventsIgnored", "DetailType" => detail_type, "Reason" => reason).increment(1);
}

/// A call that could not be routed because the store failed (the caller heard "try again").
/// No dimension but the stack: one series to alarm on, whichever provider carried the call.
pub fn call_path_failure() {
    counter!("CallPathFailures").increment(1);
}

/// A voice webhook answered, by provider and outcome (`connect`, `out_of_session`, `try_again`).
pub fn call_answered(provider: ProviderKind, outcome: &'static str) {
    counter!("CallsAnswered", "Provider" => provider.as_str(), "Outcome" => outcome).increment(1);
}

/// A webhook refused by authentication (bad or missing signature or token, or the provider's
/// secret not configured), per provider.
pub fn webhook_refused(provider: ProviderKind) {
    counter!("WebhookRefusals", "Provider" => provider.as_str()).increment(1);
}

/// What `record` writes, as the EMF documents the backend flushes, restamped `timestamp`. For
/// tests and tools: it goes through the process's one global collector, so renders take turns,
/// and anything else the process recorded meanwhile may be among the documents (the `*_line`
/// helpers below pick theirs by metric name and labels).
pub fn render(timestamp: DateTime<Utc>, record: impl FnOnce()) -> Vec<Value> {
    static TURN: Mutex<()> = Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let collector = collector();
    collector.flush(std::io::sink()).expect("discarding");
    record();
    let mut out = Vec::new();
    collector.flush(&mut out).expect("writing to memory");
    String::from_utf8(out)
        .expect("EMF is JSON")
        .lines()
        .map(|line| {
            let mut doc: Value = serde_json::from_str(line).expect("EMF is JSON");
            doc["_aws"]["Timestamp"] = timestamp.timestamp_millis().into();
            doc
        })
        .collect()
}

/// The document holding `metric` whose `labels` have these values.
fn line_of(docs: Vec<Value>, metric: &str, labels: &[(&str, &str)]) -> String {
    docs.into_iter()
        .find(|doc| {
            !doc[metric].is_null() && labels.iter().all(|(name, value)| doc[*name] == *value)
        })
        .unwrap_or_else(|| panic!("no {metric} document"))
        .to_string()
}

pub fn pool_figures_line(
    region: &Region,
    operator: &Operator,
    figures: &OperatorFigures,
    timestamp: DateTime<Utc>,
) -> String {
    let labels = [("Region", region.as_str()), ("Operator", operator.as_str())];
    let docs = render(timestamp, || pool_figures(region, operator, figures));
    line_of(docs, "HealthyNumbers", &labels)
}

pub fn pool_exhausted_line(region: &Region, timestamp: DateTime<Utc>) -> String {
    let docs = render(timestamp, || pool_exhausted(region));
    line_of(docs, "PoolExhausted", &[("Region", region.as_str())])
}

pub fn event_ignored_line(
    detail_type: &'static str,
    reason: &'static str,
    timestamp: DateTime<Utc>,
) -> String {
    let labels = [("DetailType", detail_type), ("Reason", reason)];
    line_of(
        render(timestamp, || event_ignored(detail_type, reason)),
        "EventsIgnored",
        &labels,
    )
}

pub fn call_path_failure_line(timestamp: DateTime<Utc>) -> String {
    line_of(
        render(timestamp, call_path_failure),
        "CallPathFailures",
        &[],
    )
}

#[cfg(test)]
mod tests;
