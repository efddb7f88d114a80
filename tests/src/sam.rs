//! `template.yaml` as CloudFormation receives it: run through the real SAM transform
//! (aws-sam-translator, as `sam deploy`'s changeset does; `infra/local/sam_transform.py`), once
//! per test binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn venv_python() -> PathBuf {
    let python = repo().join(".local/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run infra/local/install.sh (make test does) to install aws-sam-translator",
        python.display()
    );
    python
}

/// The transformed template; a template the transform rejects fails the caller at once.
pub fn transformed() -> &'static Value {
    static TRANSFORMED: OnceLock<Value> = OnceLock::new();
    TRANSFORMED.get_or_init(|| {
        let output = Command::new(venv_python())
            .arg(repo().join("infra/local/sam_transform.py"))
            .arg(repo().join("template.yaml"))
            .output()
            .expect("running infra/local/sam_transform.py");
        assert!(
            output.status.success(),
            "the SAM transform rejects template.yaml, so `sam deploy` would fail:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the transform prints JSON")
    })
}

/// The dead-letter queues of the transformed template: every queue some queue redrives to, and
/// the scheduled refill's failed-runs queue.
pub fn dead_letter_queues() -> std::collections::BTreeSet<String> {
    let resources = transformed()["Resources"].as_object().expect("Resources");
    let mut queues: std::collections::BTreeSet<String> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::SQS::Queue")
        .filter_map(|q| {
            q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                .as_str()
                .map(String::from)
        })
        .collect();
    queues.insert("RefillFailedRunsQueue".into());
    // Stream records an event source mapping gave up on (announce's on-failure destination).
    queues.extend(
        resources
            .values()
            .filter(|r| r["Type"] == "AWS::Lambda::EventSourceMapping")
            .filter_map(|m| {
                m["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
                    .as_str()
                    .map(String::from)
            }),
    );
    queues
}
