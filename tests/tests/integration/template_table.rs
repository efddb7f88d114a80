//! The table `template.yaml` deploys is the table `maskctl table create` (and every test) builds
//! from `shared/src/adapters/dynamodb/schema.rs`: keys, attribute types, indexes, projections, TTL.

use std::collections::BTreeSet;

use maskline::adapters::dynamodb::{layout, schema};
use serde_yaml::Value;

fn table_properties() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let template: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    template["Resources"]["NumbersTable"]["Properties"].clone()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn keys(list: &Value) -> Vec<(String, String)> {
    list.as_sequence()
        .unwrap()
        .iter()
        .map(|k| (text(&k["AttributeName"]), text(&k["KeyType"])))
        .collect()
}

fn sdk_keys(list: &[aws_sdk_dynamodb::types::KeySchemaElement]) -> Vec<(String, String)> {
    list.iter()
        .map(|k| {
            (
                k.attribute_name().to_string(),
                k.key_type().as_str().to_string(),
            )
        })
        .collect()
}

#[test]
fn template_table_matches_the_code_definition() {
    let table = table_properties();
    assert_eq!(text(&table["BillingMode"]), "PAY_PER_REQUEST");

    let template_attrs: BTreeSet<(String, String)> = table["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| (text(&a["AttributeName"]), text(&a["AttributeType"])))
        .collect();
    let code_attrs: BTreeSet<(String, String)> = schema::attribute_definitions()
        .iter()
        .map(|a| {
            (
                a.attribute_name().to_string(),
                a.attribute_type().as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(template_attrs, code_attrs);

    assert_eq!(keys(&table["KeySchema"]), sdk_keys(&schema::key_schema()));

    let template_indexes = table["GlobalSecondaryIndexes"].as_sequence().unwrap();
    let code_indexes = schema::global_secondary_indexes();
    assert_eq!(template_indexes.len(), code_indexes.len());
    for code in &code_indexes {
        let name = code.index_name();
        let template = template_indexes
            .iter()
            .find(|i| text(&i["IndexName"]) == name)
            .unwrap_or_else(|| panic!("index {name} missing from template.yaml"));
        assert_eq!(
            keys(&template["KeySchema"]),
            sdk_keys(code.key_schema()),
            "{name} keys"
        );
        let projection = code.projection().unwrap();
        assert_eq!(
            text(&template["Projection"]["ProjectionType"]),
            projection.projection_type().unwrap().as_str(),
            "{name} projection"
        );
        let template_attrs: BTreeSet<String> = template["Projection"]["NonKeyAttributes"]
            .as_sequence()
            .map(|s| s.iter().map(text).collect())
            .unwrap_or_default();
        let code_attrs: BTreeSet<String> =
            projection.non_key_attributes().iter().cloned().collect();
        assert_eq!(template_attrs, code_attrs, "{name} projected attributes");
    }

    assert_eq!(
        text(&table["TimeToLiveSpecification"]["AttributeName"]),
        layout::TTL
    );
    assert_eq!(
        table["TimeToLiveSpecification"]["Enabled"],
        Value::Bool(true)
    );
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        Value::Bool(true)
    );
    // The stream announce reads: the same view the code creates the table with.
    let stream = schema::stream_specification();
    assert_eq!(
        text(&table["StreamSpecification"]["StreamViewType"]),
        stream.stream_view_type().unwrap().as_str()
    );
}

#[test]
fn every_queue_mapping_reports_partial_batch_failures() {
    // cfn-lint does not catch a misspelt FunctionResponseTypes value; a typo here would make SQS
    // retry whole batches (and re-run every good message) on one bad message.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let template: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut sqs_events = 0;
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events {
            if event["Type"] == "SQS" {
                sqs_events += 1;
                let types = &event["Properties"]["FunctionResponseTypes"];
                assert_eq!(
                    types,
                    &Value::Sequence(vec![Value::from("ReportBatchItemFailures")])
                );
            }
        }
    }
    assert_eq!(sqs_events, 3, "allocate, release and refill are fed by SQS");
}

#[test]
fn every_function_crate_is_deployed_and_refill_runs_on_a_schedule() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let template: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut binaries = Vec::new();
    let mut schedules = 0;
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if let Some(binary) = resource["Metadata"]["BuildProperties"]["Binary"].as_str() {
            binaries.push(binary.to_string());
            if let Some(events) = resource["Properties"]["Events"].as_mapping() {
                schedules += events
                    .values()
                    .filter(|e| e["Type"] == "Schedule" && binary == "refill-pool")
                    .count();
            }
        }
    }
    let functions = concat!(env!("CARGO_MANIFEST_DIR"), "/../functions");
    let mut crates: Vec<String> = std::fs::read_dir(functions)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    binaries.sort();
    crates.sort();
    assert_eq!(
        binaries, crates,
        "one deployed function per crate in functions/"
    );
    assert_eq!(schedules, 1, "refill-pool runs on a schedule");
}
