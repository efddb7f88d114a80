//! Day one in AWS is operable: every function, dead-letter queue, rule and table has its alarm;
//! every alarm on Maskline's own metrics sees only this stack's; the dashboard names only metrics
//! the code emits; a deploy with a new `SecretsVersion` reaches every function. Read from the
//! template as CloudFormation receives it (after the SAM transform).

use std::collections::BTreeSet;

use maskline::metrics::{COLD_START, EMITTED};
use serde_json::{json, Value};

use super::deployed_template::{get_att, resource, resources_of_type};

fn alarms() -> Vec<(&'static String, &'static Value)> {
    resources_of_type("AWS::CloudWatch::Alarm")
}

/// The alarms on `metric` (a plain metric alarm) whose first dimension is `value`.
fn alarms_on(metric: &str, value: &Value) -> Vec<&'static String> {
    alarms()
        .into_iter()
        .filter(|(_, a)| {
            let p = &a["Properties"];
            p["MetricName"] == metric && p["Dimensions"][0]["Value"] == *value
        })
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn every_function_alarms_on_its_errors_and_throttles() {
    let functions = resources_of_type("AWS::Lambda::Function");
    assert_eq!(functions.len(), 9);
    for (function, _) in functions {
        for metric in ["Errors", "Throttles"] {
            let found = alarms_on(metric, &json!({ "Ref": function }));
            assert_eq!(found.len(), 1, "{function} {metric}: {found:?}");
        }
    }
}

/// SQS may stop publishing a queue's metrics after six idle hours, so the sent-count/DIFF alarm
/// can miss the first dead letter after a quiet spell: a level alarm stays on while one waits.
#[test]
fn every_dead_letter_queue_alarms_while_anything_waits_in_it() {
    let queues = maskline_tests::sam::dead_letter_queues();
    assert_eq!(queues.len(), 5, "{queues:?}");
    for queue in queues {
        let found = alarms_on(
            "ApproximateNumberOfMessagesVisible",
            &get_att(&queue, "QueueName"),
        );
        assert_eq!(found.len(), 1, "{queue}: {found:?}");
        let p = &resource(found[0])["Properties"];
        assert_eq!(p["Threshold"].as_f64(), Some(1.0), "{queue}");
        assert_eq!(
            (&p["ComparisonOperator"], &p["Statistic"]),
            (&json!("GreaterThanOrEqualToThreshold"), &json!("Maximum")),
            "{queue}"
        );
        // No data (an idle queue's metrics stopped) keeps the alarm as it was.
        assert_eq!(p["TreatMissingData"], "ignore", "{queue}");
    }
}

#[test]
fn the_allocate_queue_alarms_when_its_oldest_message_ages() {
    let found = alarms_on(
        "ApproximateAgeOfOldestMessage",
        &get_att("AllocateQueue", "QueueName"),
    );
    assert_eq!(found.len(), 1);
}

/// A rule's name, as its `Name` property spells it (and its metrics' `RuleName`).
fn rule_name(rule: &Value) -> Value {
    let name = rule["Properties"]["Name"].clone();
    assert!(
        !name.is_null(),
        "a rule without a name has no metric to alarm on"
    );
    name
}

#[test]
fn every_rule_retries_into_a_dead_letter_queue_and_alarms_on_failed_invocations() {
    let rules = resources_of_type("AWS::Events::Rule");
    assert_eq!(
        rules.len(),
        4,
        "three on the order bus and refill's schedule"
    );
    for (rule, definition) in rules {
        for target in definition["Properties"]["Targets"].as_array().unwrap() {
            // Undeliverable events wait where the target's own failures do, alarmed on there.
            let dlq = &target["DeadLetterConfig"]["Arn"];
            assert_eq!(dlq, &dead_letters_of(&target["Arn"]), "{rule}");
            assert!(
                target["RetryPolicy"]["MaximumEventAgeInSeconds"].is_number(),
                "{rule}"
            );
        }
        let name = rule_name(definition);
        let failed: Vec<&String> = alarms()
            .into_iter()
            .filter(|(_, a)| {
                let p = &a["Properties"];
                // On the order bus the dimensions depend on the bus: both branches name the rule.
                let branches = match p["Dimensions"]["Fn::If"].as_array() {
                    Some(choice) => vec![&choice[1], &choice[2]],
                    None => vec![&p["Dimensions"]],
                };
                p["MetricName"] == "FailedInvocations"
                    && branches.iter().all(|dims| {
                        dims.as_array()
                            .into_iter()
                            .flatten()
                            .any(|d| d["Name"] == "RuleName" && d["Value"] == name)
                    })
            })
            .map(|(n, _)| n)
            .collect();
        assert_eq!(failed.len(), 1, "{rule}: {failed:?}");
    }
    // EventBridge may send to those queues, from these rules only.
    let policy = &resource("RuleDeadLetterQueuesPolicy")["Properties"]["PolicyDocument"];
    let sources = &policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"];
    assert_eq!(sources.as_array().map(Vec::len), Some(4));
}

/// Where a rule target's own failures go: a queue's redrive target, a function's on-failure
/// destination.
fn dead_letters_of(target: &Value) -> Value {
    let name = target["Fn::GetAtt"][0].as_str().unwrap();
    let target = resource(name);
    match target["Type"].as_str().unwrap() {
        "AWS::SQS::Queue" => target["Properties"]["RedrivePolicy"]["deadLetterTargetArn"].clone(),
        "AWS::Lambda::Function" => {
            let config = &resource(&format!("{name}EventInvokeConfig"))["Properties"];
            config["DestinationConfig"]["OnFailure"]["Destination"].clone()
        }
        other => panic!("a rule target of type {other}"),
    }
}

#[test]
fn table_and_index_throttles_are_alarmed_on() {
    let alarm = &resource("TableThrottlesAlarm")["Properties"];
    let metrics: BTreeSet<(String, String)> = alarm["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| {
            let metric = &m["MetricStat"]["Metric"];
            let index = metric["Dimensions"][1]["Value"].as_str().unwrap_or("table");
            Some((
                metric["MetricName"].as_str()?.to_string(),
                index.to_string(),
            ))
        })
        .collect();
    for index in ["table", "gsi1", "gsi2", "gsi3"] {
        for metric in ["ReadThrottleEvents", "WriteThrottleEvents"] {
            assert!(
                metrics.contains(&(metric.to_string(), index.to_string())),
                "{metric} on {index}"
            );
        }
    }
}

/// A Metrics Insights query an alarm runs, if it runs one.
fn insights_query(alarm: &Value) -> Option<&str> {
    alarm["Properties"]["Metrics"]
        .as_array()?
        .iter()
        .find_map(|m| m["Expression"]["Fn::Sub"].as_str())
        .filter(|q| q.starts_with("SELECT"))
}

#[test]
fn exhaustion_names_the_region_and_refusals_the_provider() {
    let exhausted = insights_query(resource("PoolExhaustedAlarm")).unwrap();
    assert!(exhausted.contains("SUM(PoolExhausted)"), "{exhausted}");
    assert!(exhausted.ends_with("GROUP BY Region"), "{exhausted}");
    let refused = insights_query(resource("WebhookRefusalsAlarm")).unwrap();
    assert!(refused.contains("SUM(WebhookRefusals)"), "{refused}");
    assert!(refused.ends_with("GROUP BY Provider"), "{refused}");
}

/// A staging and a prod stack in one account: every alarm on Maskline's own metrics carries this
/// stack's `Stack` dimension (or filters on it), names a metric the code emits, and every alarm
/// on AWS's metrics names a resource of this stack.
#[test]
fn every_metric_alarm_sees_only_this_stack() {
    let stack = json!({ "Name": "Stack", "Value": { "Ref": "AWS::StackName" } });
    let emitted: BTreeSet<&str> = EMITTED.into_iter().collect();
    for (name, alarm) in alarms() {
        let p = &alarm["Properties"];
        assert!(p["AlarmActions"].is_array(), "{name} notifies no one");
        let mut plain: Vec<&Value> = vec![];
        if p["MetricName"].is_string() {
            plain.push(p);
        }
        for m in p["Metrics"].as_array().into_iter().flatten() {
            if m["MetricStat"].is_object() {
                plain.push(&m["MetricStat"]["Metric"]);
            }
        }
        for metric in plain {
            let dims = metric["Dimensions"].as_array().cloned().unwrap_or_else(|| {
                // Fn::If between dimension lists: check the first; the rule test checks both.
                metric["Dimensions"]["Fn::If"][1]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            });
            assert!(!dims.is_empty(), "{name}: a metric of no resource");
            if metric["Namespace"] == "Maskline" {
                assert!(dims.contains(&stack), "{name}: no Stack dimension");
                let metric_name = metric["MetricName"].as_str().unwrap();
                assert!(emitted.contains(metric_name), "{name}: {metric_name}");
            } else {
                // The resource's own name (a function, queue, table, rule, API) scopes it.
                let scoped = dims.iter().any(|d| {
                    let v = &d["Value"];
                    ["Ref", "Fn::GetAtt", "Fn::Sub"]
                        .iter()
                        .any(|f| v.get(f).is_some())
                });
                assert!(scoped, "{name}: names no resource of this stack");
            }
        }
        if let Some(query) = insights_query(alarm) {
            assert!(
                query.contains("WHERE Stack = '${AWS::StackName}'"),
                "{name}: {query}"
            );
            let metric = query["SELECT SUM(".len()..].split(')').next().unwrap();
            assert!(emitted.contains(metric), "{name}: {metric}");
        }
    }
}

/// `${Name}` and `${Name.Attribute}` in a `Fn::Sub` string replaced by `SUB:Name`, each checked
/// to be a resource or pseudo parameter of the template.
fn substituted(text: &str) -> String {
    let resources = crate_resources();
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        let name = &rest[start + 2..end];
        let base = name.split('.').next().unwrap();
        assert!(
            name.starts_with("AWS::") || resources.contains(base),
            "${{{name}}} names nothing in the template"
        );
        out.push_str(&format!("SUB:{name}"));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn crate_resources() -> BTreeSet<String> {
    maskline_tests::sam::transformed()["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn the_dashboard_is_json_naming_only_metrics_the_code_emits() {
    let body = resource("Dashboard")["Properties"]["DashboardBody"]["Fn::Sub"]
        .as_str()
        .expect("a Fn::Sub body");
    let dashboard: Value = serde_json::from_str(&substituted(body)).expect("valid JSON");
    let mut known: BTreeSet<&str> = EMITTED.into_iter().collect();
    known.insert(COLD_START);
    let mut named = BTreeSet::new();
    for widget in dashboard["widgets"].as_array().unwrap() {
        for row in widget["properties"]["metrics"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(expression) = row[0]["expression"].as_str() {
                assert!(expression.starts_with("SEARCH('{Maskline,"), "{expression}");
                assert!(
                    expression.contains("Stack=\"SUB:AWS::StackName\""),
                    "{expression}"
                );
                let name = expression.split("MetricName=\"").nth(1).unwrap();
                named.insert(name.split('"').next().unwrap().to_string());
            } else if row[0] == "Maskline" {
                assert_eq!(
                    (&row[2], &row[3]),
                    (&json!("Stack"), &json!("SUB:AWS::StackName"))
                );
                named.insert(row[1].as_str().unwrap().to_string());
            } else {
                // AWS's own metrics, of this stack's resources only.
                assert!(row[0].as_str().unwrap().starts_with("AWS/"), "{row}");
                assert!(row[3].as_str().unwrap().starts_with("SUB:"), "{row}");
            }
        }
    }
    for name in &named {
        assert!(known.contains(name.as_str()), "the code emits no {name}");
    }
    // The figures the issue asks for are all there.
    for wanted in [
        "HealthyNumbers",
        "TargetNumbers",
        "PoolSize",
        "StandbyNumbers",
        "LargestSessionsPerParticipant",
        "Allocations",
        "PoolExhausted",
        "CallsAnswered",
        "CallPathFailures",
        "WebhookRefusals",
    ] {
        assert!(named.contains(wanted), "the dashboard lacks {wanted}");
    }
    let outputs = &maskline_tests::sam::transformed()["Outputs"];
    let url = outputs["DashboardUrl"]["Value"]["Fn::Sub"]
        .as_str()
        .unwrap();
    assert!(url.contains("#dashboards/dashboard/${Dashboard}"), "{url}");
}

/// Secrets are read once per execution environment: a deploy with a new `SecretsVersion` changes
/// every function's configuration, which retires its warm instances.
#[test]
fn every_function_gets_the_secrets_version_and_its_stack_name() {
    for (function, definition) in resources_of_type("AWS::Lambda::Function") {
        let env = &definition["Properties"]["Environment"]["Variables"];
        assert_eq!(
            env["SECRETS_VERSION"],
            json!({ "Ref": "SecretsVersion" }),
            "{function}"
        );
        assert_eq!(
            env["STACK_NAME"],
            json!({ "Ref": "AWS::StackName" }),
            "{function}"
        );
    }
    let rotation =
        std::fs::read_to_string(maskline_tests::sam::repo().join("docs/rotation.md")).unwrap();
    assert!(
        rotation.contains("SecretsVersion"),
        "the rotation runbooks use it"
    );
}

/// GitHub's anchor for a Markdown heading: lower case, spaces to hyphens, punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn every_alarm_links_a_runbook_section_that_exists() {
    let runbooks =
        std::fs::read_to_string(maskline_tests::sam::repo().join("docs/runbooks.md")).unwrap();
    let sections: BTreeSet<String> = runbooks
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(anchor)
        .collect();
    for (name, alarm) in alarms() {
        let description = alarm["Properties"]["AlarmDescription"]
            .as_str()
            .unwrap_or_default();
        let link = description
            .split("docs/runbooks.md#")
            .nth(1)
            .unwrap_or_else(|| panic!("{name} links no runbook"));
        assert!(sections.contains(link), "{name}: no section #{link}");
    }
}
