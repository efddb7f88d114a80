//! The interceptor that names the function behind each AWS call and holds the call to its role.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::error::BoxError;

use super::evaluate::{evaluate, Decision};
use super::policy::roles;
use super::request::{of_dynamodb, of_dynamodb_streams, of_eventbridge, IamRequest};

/// The AWS clients a function's wiring uses, each holding its calls to the function's role.
pub struct FunctionClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub eventbridge: aws_sdk_eventbridge::Client,
    /// The table's stream, as an event source mapping reads it with the function's role.
    pub streams: aws_sdk_dynamodbstreams::Client,
}

/// `function`'s clients on `aws`. The function must have a role in the template.
pub fn clients_of(aws: &aws_config::SdkConfig, function: &'static str) -> FunctionClients {
    assert!(
        roles().contains_key(function),
        "no role for function {function} in the transformed template"
    );
    let dynamodb = aws_sdk_dynamodb::config::Builder::from(aws)
        .interceptor(AsFunction(function))
        .build();
    let eventbridge = aws_sdk_eventbridge::config::Builder::from(aws)
        .interceptor(AsFunction(function))
        .build();
    let streams = aws_sdk_dynamodbstreams::config::Builder::from(aws)
        .interceptor(AsFunction(function))
        .build();
    FunctionClients {
        dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb),
        eventbridge: aws_sdk_eventbridge::Client::from_conf(eventbridge),
        streams: aws_sdk_dynamodbstreams::Client::from_conf(streams),
    }
}

#[derive(Debug, Clone, Copy)]
struct AsFunction(&'static str);

impl Intercept for AsFunction {
    fn name(&self) -> &'static str {
        "IamConformance"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let function = self.0;
        let input = context.input();
        let requests = of_dynamodb(input)
            .or_else(|| of_eventbridge(input))
            .or_else(|| of_dynamodb_streams(input));
        let Some(requests) = requests else {
            return Err(deny(
                function,
                "an AWS operation the conformance test does not model",
            )
            .into());
        };
        let role = &roles()[function];
        for request in requests {
            match evaluate(role, &request) {
                Decision::Allowed => log_allowed(function, &request),
                Decision::Denied { closest } => {
                    let closest = closest.map_or("none of its statements is close".into(), |s| {
                        format!("closest statement: {s}")
                    });
                    let message = format!("{request}; {closest}");
                    return Err(deny(function, &message).into());
                }
            }
        }
        Ok(())
    }
}

/// Where a run's record goes: `target/iam/`.
/// `<target>/iam`, where `make test` reads it: a relative `CARGO_TARGET_DIR` is the workspace's
/// (cargo reads it from where `make` ran; tests and benches run in `tests/`).
fn record_dir() -> PathBuf {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    let dir = target.join("iam");
    std::fs::create_dir_all(&dir).expect("create target/iam");
    dir
}

fn append(file: &str, line: &str) {
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(record_dir().join(file))
        .expect("open the IAM record");
    writeln!(out, "{line}").expect("write the IAM record");
}

/// A denial: said on stderr (the failing test shows it) and kept for `make test` to check.
fn deny(function: &str, what: &str) -> String {
    let line = format!("AccessDenied: {function} may not make {what}");
    eprintln!("IAM conformance: {line}");
    append("denied.txt", &line);
    line
}

/// Each distinct allowed (function, action, resource) once per run: what the roles are used for.
fn log_allowed(function: &str, request: &IamRequest) {
    static SEEN: Mutex<BTreeSet<(String, String, String)>> = Mutex::new(BTreeSet::new());
    let key = (
        function.to_string(),
        request.action.clone(),
        request.resource.clone(),
    );
    if SEEN.lock().unwrap().insert(key) {
        append(
            "allowed.txt",
            &format!("{function} {} {}", request.action, request.resource),
        );
    }
}
