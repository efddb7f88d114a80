//! Order events at rest: the queues hold raw `DriverAssigned` bodies, both parties' real numbers in
//! clear, for up to 14 days in a dead-letter queue. Every queue is encrypted with a KMS key the
//! stack creates, and every function that reads or writes one may use that key (as IAM would
//! decide it: the same evaluator as the conformance check), or its messages would be unreadable
//! in AWS while every local test passed.

use maskline_tests::iam::{evaluate, function_name, roles, Decision, Effect, IamRequest};
use serde_json::Value;

use super::deployed_template::{get_att, resource, resources_of_type};

/// The key as the IAM evaluator names a template KMS key (by its logical id).
const KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/QueueKey";

fn allowed(function: &str, action: &str) -> bool {
    let role = &roles()[function];
    let request = IamRequest {
        action: action.into(),
        resource: KEY_ARN.into(),
        leading_keys: None,
    };
    evaluate(role, &request) == Decision::Allowed
}

#[test]
fn every_queue_is_encrypted_with_the_stack_s_own_rotated_key() {
    let queues = resources_of_type("AWS::SQS::Queue");
    assert!(queues.len() >= 7, "three queues, their DLQs, failed runs");
    for (name, queue) in queues {
        assert_eq!(
            queue["Properties"]["KmsMasterKeyId"],
            get_att("QueueKey", "Arn"),
            "{name} is not encrypted with QueueKey"
        );
    }
    let key = &resource("QueueKey")["Properties"];
    assert_eq!(key["EnableKeyRotation"], true);
    // EventBridge encrypts what its rules deliver (the queues and their dead letters).
    let statements = key["KeyPolicy"]["Statement"].as_array().unwrap();
    let eventbridge = statements
        .iter()
        .find(|s| s["Principal"]["Service"] == "events.amazonaws.com")
        .expect("the key policy lets EventBridge deliver");
    let actions: Vec<&Value> = eventbridge["Action"].as_array().unwrap().iter().collect();
    for needed in ["kms:GenerateDataKey", "kms:Decrypt"] {
        assert!(actions.iter().any(|a| *a == needed), "{needed}");
    }
}

#[test]
fn every_function_that_reads_or_writes_a_queue_may_use_its_key() {
    let mut checked = 0;
    for (name, mapping) in resources_of_type("AWS::Lambda::EventSourceMapping") {
        let source = mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]
            .as_str()
            .unwrap_or_default();
        if !source.ends_with("Queue") {
            continue;
        }
        let function = function_name(
            mapping["Properties"]["FunctionName"]["Ref"]
                .as_str()
                .unwrap(),
        );
        assert!(
            allowed(&function, "kms:Decrypt"),
            "{function} reads {source} ({name}) but may not decrypt with its key"
        );
        checked += 1;
    }
    assert!(checked >= 3, "allocate, release and refill read queues");
    for (function, role) in roles() {
        let sends = role
            .statements
            .iter()
            .any(|s| s.effect == Effect::Allow && s.actions.iter().any(|a| a == "sqs:SendMessage"));
        if sends {
            assert!(
                allowed(function, "kms:GenerateDataKey") && allowed(function, "kms:Decrypt"),
                "{function} writes to an encrypted queue but may not use its key"
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "and the same three write dead letters");
}
