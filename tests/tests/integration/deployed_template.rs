//! The template as CloudFormation receives it: `template.yaml` run through the real SAM transform
//! (aws-sam-translator, as `sam deploy`'s changeset does; `infra/local/sam_transform.py`). A
//! template the deploy would reject fails here, and each production guard rail is read from
//! what would actually be deployed.

use std::collections::{BTreeMap, BTreeSet};

use maskline::adapters::provider_api::{ExotelApi, TwilioApi, TwilioNumbers};
use maskline::adapters::sqs_batch::retry_span_seconds;
use maskline::config::Config;
use maskline::privacy::{CallerKeys, NumberVault, SealKeys};
use maskline::services::REFILL_LEASE_SECONDS;
use maskline::webhook_config::WebhookConfig;
use serde_json::{json, Value};

use std::process::Command;

use maskline_tests::sam::{repo, transformed};

/// `template.yaml` as written (SAM resources), as JSON values.
fn sam_template() -> Value {
    let text = std::fs::read_to_string(repo().join("template.yaml")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    serde_json::to_value(yaml).unwrap()
}

pub(crate) fn resource(name: &str) -> &'static Value {
    let found = &transformed()["Resources"][name];
    assert!(
        found.is_object(),
        "no resource {name} in the transformed template"
    );
    found
}

pub(crate) fn resources_of_type(kind: &str) -> Vec<(&'static String, &'static Value)> {
    transformed()["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

pub(crate) fn parameter_default(name: &str) -> Value {
    transformed()["Parameters"][name]["Default"].clone()
}

fn number(v: &Value) -> i64 {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

pub(crate) fn get_att(resource: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [resource, attribute] })
}

#[test]
fn the_sam_transform_accepts_the_template() {
    let kinds: BTreeSet<&str> = transformed()["Resources"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["Type"].as_str().unwrap())
        .collect();
    assert!(
        !kinds.iter().any(|k| k.starts_with("AWS::Serverless::")),
        "{kinds:?}"
    );
    assert_eq!(resources_of_type("AWS::Lambda::Function").len(), 9);
    assert_eq!(resources_of_type("AWS::ApiGatewayV2::Api").len(), 1);
}

/// `value` with every `Fn::If` on the `UsesJwt` condition decided (and `AWS::NoValue` dropped):
/// what CloudFormation deploys for one choice of `ApiAuthorizer`.
fn with_authorizer(value: &Value, uses_jwt: bool) -> Option<Value> {
    match value {
        Value::Object(map) if map.get("Ref") == Some(&json!("AWS::NoValue")) => None,
        Value::Object(map) if map.contains_key("Fn::If") => {
            let branches = map["Fn::If"].as_array().unwrap();
            assert_eq!(
                branches[0], "UsesJwt",
                "a condition this test does not decide"
            );
            with_authorizer(&branches[if uses_jwt { 1 } else { 2 }], uses_jwt)
        }
        Value::Object(map) => Some(Value::Object(
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), with_authorizer(v, uses_jwt)?)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .filter_map(|v| with_authorizer(v, uses_jwt))
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

#[test]
fn webhooks_are_open_and_the_apps_routes_take_the_chosen_authorizer() {
    assert_eq!(parameter_default("ApiAuthorizer"), "IAM");
    for uses_jwt in [false, true] {
        let body = with_authorizer(&resource("Api")["Properties"]["Body"], uses_jwt).unwrap();
        let schemes = &body["components"]["securitySchemes"];
        assert_eq!(
            schemes["AWS_IAM"]["x-amazon-apigateway-authtype"],
            "awsSigv4"
        );
        let jwt = &schemes["OidcJwt"]["x-amazon-apigateway-authorizer"];
        if uses_jwt {
            // API Gateway's own JWT authorizer: no token is checked in Lambda code.
            assert_eq!(jwt["type"], "jwt");
            assert_eq!(jwt["identitySource"], "$request.header.Authorization");
            assert_eq!(
                jwt["jwtConfiguration"]["issuer"],
                json!({"Ref": "JwtIssuer"})
            );
            assert_eq!(
                jwt["jwtConfiguration"]["audience"],
                json!([{"Ref": "JwtAudience"}])
            );
        } else {
            assert!(
                schemes.get("OidcJwt").is_none(),
                "no JWT authorizer under IAM"
            );
        }
        let mut routes = 0;
        for (path, methods) in body["paths"].as_object().unwrap() {
            for (method, operation) in methods.as_object().unwrap() {
                routes += 1;
                assert!(
                    operation["x-amazon-apigateway-integration"].is_object(),
                    "{method} {path} reaches no function"
                );
                let security = &operation["security"];
                if path.starts_with("/webhooks/") {
                    // Providers cannot SigV4-sign: their own signatures are checked in code.
                    assert_eq!(*security, json!([{"NONE": []}]), "{method} {path}");
                    continue;
                }
                assert!(path.starts_with("/v1/"), "{path}");
                let expected = match (uses_jwt, method.as_str()) {
                    (false, _) => json!([{"AWS_IAM": []}]),
                    (true, "get") => json!([{"OidcJwt": ["sessions:read"]}]),
                    (true, _) => json!([{"OidcJwt": ["sessions:write"]}]),
                };
                assert_eq!(*security, expected, "{method} {path} (JWT: {uses_jwt})");
            }
        }
        assert_eq!(
            routes, 23,
            "16 webhook routes (4 of them whispers, 3 dial results) and 7 of the platform's and apps'"
        );
    }
}

/// `sam deploy --guided` stops at "<function> has no authentication. Is this okay? [y/N]" (and
/// its default answer aborts) for any HttpApi event with no `Auth` whose API has no `Auth`
/// either: SAM CLI's own check (`samcli/commands/deploy/auth_utils.py`), repeated here.
#[test]
fn sam_deploy_guided_asks_no_authentication_question() {
    let template = sam_template();
    let resources = template["Resources"].as_object().unwrap();
    for (name, function) in resources {
        if function["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let Some(events) = function["Properties"]["Events"].as_object() else {
            continue;
        };
        for (event_name, event) in events {
            if event["Type"] != "HttpApi" {
                continue;
            }
            // `!Ref Api` as serde_yaml reads the short form (a tagged value), or `Ref: Api`.
            let api_id = &event["Properties"]["ApiId"];
            let api = api_id["!Ref"]
                .as_str()
                .or(api_id["Ref"].as_str())
                .unwrap_or("");
            let has_auth = event["Properties"]["Auth"].is_object()
                || resources
                    .get(api)
                    .is_some_and(|a| a["Properties"]["Auth"].is_object());
            assert!(
                has_auth,
                "{name}.{event_name}: sam deploy --guided would ask"
            );
        }
    }
}

#[test]
fn the_table_survives_stack_deletion_and_replacement() {
    let table = resource("NumbersTable");
    // Kept on deletion, but not after a first create that rolled back: each retried first deploy
    // would otherwise leave another deletion-protected, empty table behind.
    assert_eq!(table["DeletionPolicy"], "RetainExceptOnCreate");
    assert_eq!(table["UpdateReplacePolicy"], "Retain");
    assert_eq!(table["Properties"]["DeletionProtectionEnabled"], true);
}

#[test]
fn the_call_path_keeps_concurrency_of_its_own() {
    let reserved = &resource("ResolveCallFunction")["Properties"]["ReservedConcurrentExecutions"];
    assert_eq!(
        reserved,
        &json!({ "Fn::If": ["ReservesCallPathConcurrency",
                            { "Ref": "CallPathReservedConcurrency" },
                            { "Ref": "AWS::NoValue" }] })
    );
    // An opt-in: reserving any by default fails the first deploy on accounts whose concurrency
    // limit is below ~120 (AWS keeps 100 unreserved); the description says so.
    assert_eq!(number(&parameter_default("CallPathReservedConcurrency")), 0);
    let why = transformed()["Parameters"]["CallPathReservedConcurrency"]["Description"]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains("first deploy") && why.contains("120"), "{why}");

    // Queue triggers are capped, so a burst of order events cannot take the account's pool. (The
    // stream's mapping runs one batch per shard at a time: its concurrency is the shard count.)
    let mappings: Vec<_> = resources_of_type("AWS::Lambda::EventSourceMapping")
        .into_iter()
        .filter(|(_, m)| m["Properties"]["EventSourceArn"] != get_att("NumbersTable", "StreamArn"))
        .collect();
    assert_eq!(mappings.len(), 3);
    for (name, mapping) in mappings {
        assert_eq!(
            mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"],
            json!({ "Ref": "QueueMaxConcurrency" }),
            "{name}"
        );
    }
    assert!(number(&parameter_default("QueueMaxConcurrency")) >= 2);

    // And the HTTP API throttles before a flood reaches any function.
    let stage = &resources_of_type("AWS::ApiGatewayV2::Stage")[0].1["Properties"];
    assert!(stage["DefaultRouteSettings"]["ThrottlingRateLimit"].is_object());
    assert!(stage["DefaultRouteSettings"]["ThrottlingBurstLimit"].is_object());
}

#[test]
fn refill_has_time_for_purchases_and_coalesces_its_triggers() {
    let function = &resource("RefillPoolFunction")["Properties"];
    let timeout = number(&function["Timeout"]);
    assert!(timeout >= 300, "a batch of provider purchases: {timeout}s");
    assert!(
        timeout < REFILL_LEASE_SECONDS,
        "a live refill must never outlast its lease"
    );
    let queue = &resource("RefillQueue")["Properties"];
    assert!(number(&queue["VisibilityTimeout"]) >= 6 * timeout);

    let trigger = &resource("RefillPoolFunctionTriggers")["Properties"];
    assert!(number(&trigger["MaximumBatchingWindowInSeconds"]) >= 30);
    assert!(number(&trigger["BatchSize"]) >= 100);

    // A failed scheduled run goes somewhere someone is told about.
    let invoke = &resource("RefillPoolFunctionEventInvokeConfig")["Properties"];
    let destination = &invoke["DestinationConfig"]["OnFailure"]["Destination"];
    assert_eq!(destination, &get_att("RefillFailedRunsQueue", "Arn"));
    let errors_alarm = resources_of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .any(|(_, alarm)| {
            let p = &alarm["Properties"];
            p["Namespace"] == "AWS/Lambda"
                && p["MetricName"] == "Errors"
                && p["Dimensions"][0]["Value"] == json!({ "Ref": "RefillPoolFunction" })
        });
    assert!(errors_alarm, "an alarm on refill-pool's Errors");
}

#[test]
fn refill_never_buys_numbers_that_ring_nowhere() {
    let base = &resource("RefillPoolFunction")["Properties"]["Environment"]["Variables"]
        ["PUBLIC_WEBHOOK_BASE_URL"];
    let choice = base["Fn::If"].as_array().expect("falls back when unset");
    assert_eq!(choice[0], "HasPublicWebhookBaseUrl");
    assert_eq!(choice[1], json!({ "Ref": "PublicWebhookBaseUrl" }));
    assert_eq!(
        choice[2],
        json!({ "Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}" })
    );
}

#[test]
fn an_exhausted_pool_is_retried_long_enough_for_refill() {
    let queue = &resource("AllocateQueue")["Properties"];
    let receives = number(&queue["RedrivePolicy"]["maxReceiveCount"]) as u32;
    assert!(
        retry_span_seconds(receives) >= 3600,
        "DriverAssigned is retried for {}s only",
        retry_span_seconds(receives)
    );
    // The function delays each retry (and parks poison at once) on its own queues.
    let function = &resource("AllocateNumbersFunction")["Properties"];
    let env = &function["Environment"]["Variables"];
    assert_eq!(env["QUEUE_URL"], json!({ "Ref": "AllocateQueue" }));
    assert_eq!(
        env["DEAD_LETTER_QUEUE_URL"],
        json!({ "Ref": "AllocateDeadLetterQueue" })
    );
    let statements = &resource("AllocateNumbersFunctionRole")["Properties"]["Policies"][0]
        ["PolicyDocument"]["Statement"];
    let allows = |action: &str, target: Value| {
        statements
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["Action"] == action && s["Resource"] == target)
    };
    assert!(allows(
        "sqs:ChangeMessageVisibility",
        get_att("AllocateQueue", "Arn")
    ));
    assert!(allows(
        "sqs:SendMessage",
        get_att("AllocateDeadLetterQueue", "Arn")
    ));
}

#[test]
fn a_finished_order_outlives_every_queued_copy_of_its_events() {
    use maskline::adapters::dynamodb::layout::{SESSION_RETENTION_SECONDS, TTL_LAG_SECONDS};
    let longest_retention = resources_of_type("AWS::SQS::Queue")
        .into_iter()
        .map(|(_, q)| {
            let kept = &q["Properties"]["MessageRetentionPeriod"];
            // SQS keeps a message 4 days unless told otherwise.
            if kept.is_null() {
                4 * 24 * 3600
            } else {
                number(kept)
            }
        })
        .max()
        .unwrap();
    assert!(
        SESSION_RETENTION_SECONDS >= longest_retention + TTL_LAG_SECONDS,
        "a tombstone may be gone ({SESSION_RETENTION_SECONDS}s) while a queue still holds an event \
         about its order ({longest_retention}s)"
    );
}

#[test]
fn every_dead_letter_queue_alarms_again_on_each_new_message() {
    let dead_letter_queues = maskline_tests::sam::dead_letter_queues();
    assert_eq!(dead_letter_queues.len(), 5);

    let alarms = resources_of_type("AWS::CloudWatch::Alarm");
    for queue in &dead_letter_queues {
        let queue_name = get_att(queue, "QueueName");
        let alarm = alarms
            .iter()
            .find(|(_, a)| {
                a["Properties"]["Metrics"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| m["MetricStat"]["Metric"]["Dimensions"][0]["Value"] == queue_name)
            })
            .unwrap_or_else(|| panic!("no alarm on {queue}"));
        let metrics = alarm.1["Properties"]["Metrics"].as_array().unwrap();
        let names: BTreeSet<&str> = metrics
            .iter()
            .filter_map(|m| m["MetricStat"]["Metric"]["MetricName"].as_str())
            .collect();
        // "Messages visible >= 1" fires once and stays in alarm while the first dead letter sits
        // there: later ones would never notify. Messages sent, and growth of the count, do.
        assert!(names.contains("NumberOfMessagesSent"), "{queue}: {names:?}");
        let expression = metrics
            .iter()
            .find(|m| m["ReturnData"] == true)
            .and_then(|m| m["Expression"].as_str())
            .unwrap_or_default();
        assert!(expression.contains("DIFF("), "{queue}: {expression}");
        assert!(alarm.1["Properties"]["AlarmActions"].is_array());
    }
}

#[test]
fn every_function_logs_to_a_group_with_retention() {
    for (name, function) in resources_of_type("AWS::Lambda::Function") {
        let group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no log group of the stack's"));
        let group = resource(group);
        assert_eq!(group["Type"], "AWS::Logs::LogGroup");
        assert_eq!(
            group["Properties"]["RetentionInDays"],
            json!({ "Ref": "LogRetentionDays" }),
            "{name}"
        );
    }
    assert!(number(&parameter_default("LogRetentionDays")) > 0);
}

/// The secrets each function reads at start-up: its `SECRET_IDS`, as the template parameters
/// that name them.
fn secret_parameters_of(function: &str) -> BTreeSet<String> {
    let ids = &resource(function)["Properties"]["Environment"]["Variables"]["SECRET_IDS"];
    let Some(sub) = ids["Fn::Sub"].as_str() else {
        assert!(ids.is_null(), "{function}: SECRET_IDS is {ids}");
        return BTreeSet::new();
    };
    sub.split(',')
        .map(|id| {
            id.strip_prefix("${")
                .and_then(|p| p.strip_suffix('}'))
                .unwrap_or_else(|| panic!("{function}: {id} is not a parameter"))
                .to_string()
        })
        .collect()
}

/// The secrets each function's role may read, as the template parameters that name them.
fn readable_secret_parameters_of(function: &str) -> BTreeSet<String> {
    let role = format!("{function}Role");
    let policies = resource(&role)["Properties"]["Policies"]
        .as_array()
        .unwrap();
    policies
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap())
        .filter(|s| s["Action"] == "secretsmanager:GetSecretValue" || s["Action"] == "*")
        .flat_map(|s| s["Resource"].as_array().cloned().unwrap_or_default())
        .map(|arn| {
            let arn = arn["Fn::Sub"].as_str().unwrap_or_default().to_string();
            let parameter = arn.split(":secret:${").nth(1).unwrap_or_default();
            parameter.split('}').next().unwrap().to_string()
        })
        .collect()
}

const HASH_KEY_SECRET: &str = "NumberHashKeySecretName";
const ENCRYPTION_KEY_SECRET: &str = "NumberEncryptionKeySecretName";
const WEBHOOK_SECRET: &str = "WebhookSecretName";
const PROVIDER_API_SECRET: &str = "ProviderApiSecretName";

/// Which secrets each function needs: the hash key only where a number comes in and must be
/// keyed or looked up (allocate, sessions, resolve-call, call-events); the encryption key only
/// where a number is sealed (allocate, sessions) or opened (resolve-call, click-to-call); none
/// where no secret is used.
fn needed_secrets() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        (
            "AllocateNumbersFunction",
            vec![HASH_KEY_SECRET, ENCRYPTION_KEY_SECRET],
        ),
        ("ReleaseNumbersFunction", vec![]),
        ("AnnounceFunction", vec![]),
        ("OrderNumbersFunction", vec![]),
        (
            "SessionsFunction",
            vec![HASH_KEY_SECRET, ENCRYPTION_KEY_SECRET],
        ),
        (
            "ResolveCallFunction",
            vec![WEBHOOK_SECRET, HASH_KEY_SECRET, ENCRYPTION_KEY_SECRET],
        ),
        ("CallEventsFunction", vec![WEBHOOK_SECRET, HASH_KEY_SECRET]),
        (
            "RefillPoolFunction",
            vec![PROVIDER_API_SECRET, WEBHOOK_SECRET],
        ),
        (
            "ClickToCallFunction",
            vec![PROVIDER_API_SECRET, WEBHOOK_SECRET, ENCRYPTION_KEY_SECRET],
        ),
    ])
}

#[test]
fn each_function_reads_only_its_own_secrets_and_none_sits_in_its_configuration() {
    // A dynamic reference would put the secret's value into the function's environment, readable
    // with lambda:GetFunctionConfiguration (AWS's ReadOnlyAccess).
    let text = transformed().to_string();
    assert!(
        !text.contains("resolve:secretsmanager"),
        "a secret in function configuration"
    );
    let functions = resources_of_type("AWS::Lambda::Function");
    assert_eq!(functions.len(), needed_secrets().len());
    for (function, needed) in needed_secrets() {
        let needed: BTreeSet<String> = needed.into_iter().map(String::from).collect();
        assert_eq!(
            secret_parameters_of(function),
            needed,
            "{function} SECRET_IDS"
        );
        assert_eq!(
            readable_secret_parameters_of(function),
            needed,
            "{function} may read exactly its own secrets"
        );
    }
}

/// `infra/deploy/create-secrets.sh`, to be given its arguments and environment.
fn create_secrets() -> Command {
    let mut script = Command::new("bash");
    script.arg(repo().join("infra/deploy/create-secrets.sh"));
    script
}

/// Runs `script`, which must succeed; its standard output.
fn succeeded(mut script: Command) -> Vec<u8> {
    let output = script.output().expect("running create-secrets.sh");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// What `infra/deploy/create-secrets.sh --print` would create, with no provider configured.
fn secrets_the_deploy_creates() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut script = create_secrets();
    script
        .arg("--print")
        .env_remove("TWILIO_ACCOUNT_SID")
        .env_remove("TWILIO_AUTH_TOKEN")
        .env_remove("EXOTEL_WEBHOOK_TOKEN")
        .env_remove("VONAGE_WEBHOOK_TOKEN");
    String::from_utf8(succeeded(script))
        .unwrap()
        .lines()
        .map(|line| {
            let (name, value) = line.split_once('\t').unwrap();
            (name.to_string(), serde_json::from_str(value).unwrap())
        })
        .collect()
}

#[test]
fn the_deploy_steps_create_every_secret_the_template_reads_with_values_the_code_accepts() {
    let created = secrets_the_deploy_creates();
    let name_of = |parameter: &str| parameter_default(parameter).as_str().unwrap().to_string();
    for (function, needed) in needed_secrets() {
        // Each function sees only its own secrets, as in AWS, and must start with them.
        let mut settings = BTreeMap::from([("TABLE_NAME".to_string(), "maskline".to_string())]);
        for parameter in needed {
            let secret = created
                .get(&name_of(parameter))
                .unwrap_or_else(|| panic!("the deploy steps do not create {}", name_of(parameter)));
            settings.extend(secret.clone());
        }
        let lookup = |name: &str| settings.get(name).cloned();
        Config::from_lookup(lookup).unwrap_or_else(|e| panic!("{function}: {e}"));
        match function {
            "AllocateNumbersFunction" | "SessionsFunction" => {
                NumberVault::from_lookup(lookup).unwrap();
            }
            "ResolveCallFunction" | "ClickToCallFunction" => {
                if function == "ClickToCallFunction" {
                    SealKeys::from_lookup(lookup).unwrap();
                    assert!(CallerKeys::from_lookup(lookup).is_err(), "no hash key");
                } else {
                    NumberVault::from_lookup(lookup).unwrap();
                }
                let webhooks = WebhookConfig::from_lookup(lookup).unwrap();
                assert!(
                    webhooks.secrets.twilio_auth_token.is_none(),
                    "\"-\" = unused"
                );
                let (exotel, vonage) =
                    (webhooks.secrets.exotel_token, webhooks.secrets.vonage_token);
                assert!(
                    exotel.is_some() && vonage.is_some(),
                    "path tokens are generated"
                );
                assert_ne!(exotel, vonage, "one token per provider");
                assert!(TwilioApi::from_lookup(lookup).is_none());
                assert!(ExotelApi::from_lookup(lookup).is_none());
            }
            "CallEventsFunction" => {
                CallerKeys::from_lookup(lookup).unwrap();
                assert!(
                    NumberVault::from_lookup(lookup).is_err(),
                    "no encryption key"
                );
                WebhookConfig::from_lookup(lookup).unwrap();
            }
            "RefillPoolFunction" => assert!(TwilioNumbers::from_lookup(lookup).is_none()),
            _ => assert!(
                CallerKeys::from_lookup(lookup).is_err(),
                "{function}: no keys"
            ),
        }
    }
}

/// The writes a role may make to the table, as the key prefixes its condition allows (`None`:
/// unconditioned).
fn write_scopes_of(function: &str) -> Vec<Option<BTreeSet<String>>> {
    let role = format!("{function}Role");
    let writes = [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    ];
    resource(&role)["Properties"]["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap())
        .filter(|s| {
            let actions: Vec<&str> = match &s["Action"] {
                Value::String(a) => vec![a.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            actions.iter().any(|a| writes.contains(a))
        })
        .map(|s| {
            s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
                .as_array()
                .map(|keys| {
                    keys.iter()
                        .map(|k| k.as_str().unwrap().to_string())
                        .collect()
                })
        })
        .collect()
}

#[test]
fn refill_call_events_and_resolve_call_write_only_under_their_key_prefixes() {
    use maskline::adapters::dynamodb::layout;
    use maskline::domain::{OrderId, Region};
    let vn = maskline_tests::fixtures::vn(1);
    let order = OrderId::parse("ORD-1").unwrap();
    let region = Region::parse("blr").unwrap();
    let prefix = |key: String| format!("{}*", &key[..=key.find('#').unwrap()]);
    let expected = [
        (
            "RefillPoolFunction",
            // Adding a number registers its region in the same transaction.
            vec![
                prefix(layout::vn_pk(&vn)),
                prefix(layout::lease_pk(&region)),
                layout::REGIONS.to_string(),
            ],
        ),
        (
            "CallEventsFunction",
            vec![
                prefix(layout::vn_pk(&vn)),
                prefix(layout::order_pk(&order)),
                format!("{}*", layout::REPLAY_PREFIX),
            ],
        ),
        (
            // Replay markers; and for a forward retried on the backup, the call log (its order)
            // and the failure run (its number), each write under its own statement.
            "ResolveCallFunction",
            vec![
                format!("{}*", layout::REPLAY_PREFIX),
                prefix(layout::order_pk(&order)),
                prefix(layout::vn_pk(&vn)),
            ],
        ),
    ];
    for (function, prefixes) in expected {
        let scopes = write_scopes_of(function);
        assert!(!scopes.is_empty(), "{function} writes");
        let prefixes: BTreeSet<String> = prefixes.into_iter().collect();
        let mut union = BTreeSet::new();
        for scope in scopes {
            let scope = scope.unwrap_or_else(|| panic!("{function}: an unconditioned write"));
            assert!(scope.is_subset(&prefixes), "{function}: {scope:?}");
            union.extend(scope);
        }
        assert_eq!(union, prefixes, "{function}");
    }
}

#[test]
fn a_call_path_store_failure_is_alarmed_on() {
    let alarm = &resource("CallPathFailuresAlarm")["Properties"];
    assert_eq!(
        (&alarm["Namespace"], &alarm["MetricName"]),
        (&json!("Maskline"), &json!("CallPathFailures"))
    );
    assert_eq!(alarm["AlarmActions"], json!([{ "Ref": "AlarmTopic" }]));
    // The metric resolve-call logs is the one alarmed on (one EMF document, no dimension but the
    // stack's, which the alarm names).
    assert_eq!(
        alarm["Dimensions"],
        json!([{ "Name": "Stack", "Value": { "Ref": "AWS::StackName" } }])
    );
    let line = maskline::metrics::call_path_failure_line(chrono::Utc::now());
    let doc: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Maskline");
    assert_eq!(
        doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
        "CallPathFailures"
    );
    assert_eq!(
        doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Stack"]])
    );
    let env = &resource("ResolveCallFunction")["Properties"]["Environment"]["Variables"];
    assert!(env.get("CALL_PATH_FAILURE_MESSAGE").is_some());
}

/// A stand-in for the `aws` CLI's Secrets Manager calls that create-secrets.sh makes, keeping
/// each secret as a file of `dir`.
fn fake_aws_cli(dir: &std::path::Path) {
    let script = r#"#!/usr/bin/env bash
file() { printf '%s/%s' "$FAKE_AWS_DIR" "$(printf '%s' "$1" | tr / _)"; }
case "$2" in
  describe-secret) [[ -f "$(file "$4")" ]] ;;
  get-secret-value) cat "$(file "$4")" ;;
  create-secret) printf '%s' "$6" >"$(file "$4")" ;;
  *) echo "fake aws: unexpected $*" >&2; exit 2 ;;
esac
"#;
    let path = dir.join("aws");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_stack_upgraded_from_the_single_number_keys_secret_keeps_its_keys() {
    let dir = std::env::temp_dir().join(format!("maskline-secrets-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    fake_aws_cli(&dir);
    let legacy = json!({
        "NUMBER_HASH_KEY": "bWFza2xpbmUtdGVzdC1oYXNoLWtleS0zMi1ieXRlcyE=",
        "NUMBER_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    });
    std::fs::write(dir.join("maskline_number-keys"), legacy.to_string()).unwrap();
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap());
    let mut script = create_secrets();
    script.env("PATH", path).env("FAKE_AWS_DIR", &dir);
    succeeded(script);
    let created = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    assert_eq!(
        created("maskline_number-hash-key")["NUMBER_HASH_KEY"],
        legacy["NUMBER_HASH_KEY"],
        "new keys would orphan every live binding"
    );
    assert_eq!(
        created("maskline_number-encryption-key")["NUMBER_ENCRYPTION_KEY"],
        legacy["NUMBER_ENCRYPTION_KEY"]
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_stream_mapping_retries_from_a_failed_record_and_sets_a_poisoned_one_aside() {
    let (_, mapping) = resources_of_type("AWS::Lambda::EventSourceMapping")
        .into_iter()
        .find(|(_, m)| m["Properties"]["EventSourceArn"] == get_att("NumbersTable", "StreamArn"))
        .expect("announce reads the table's stream");
    let p = &mapping["Properties"];
    assert_eq!(p["FunctionName"], json!({ "Ref": "AnnounceFunction" }));
    // A failure is reported per record, so the retry starts at it and nothing after overtakes it.
    assert_eq!(
        p["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(p["BisectBatchOnFunctionError"], json!(true));
    assert!(number(&p["MaximumRetryAttempts"]) >= 1);
    assert_eq!(
        number(&p["ParallelizationFactor"]),
        1,
        "one batch per shard: per order in order"
    );
    assert_eq!(
        p["DestinationConfig"]["OnFailure"]["Destination"],
        get_att("AnnounceDeadLetterQueue", "Arn")
    );
    // Only session items reach the function.
    let pattern = p["FilterCriteria"]["Filters"][0]["Pattern"]
        .as_str()
        .unwrap();
    let pattern: Value = serde_json::from_str(pattern).unwrap();
    assert_eq!(pattern["dynamodb"]["Keys"]["sk"]["S"], json!(["SESSION"]));
    assert_eq!(
        resource("NumbersTable")["Properties"]["StreamSpecification"]["StreamViewType"],
        "NEW_AND_OLD_IMAGES"
    );
    // The apps learn of changes late when it falls behind: that is alarmed on.
    let behind = resources_of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, a)| {
            a["Properties"]["MetricName"] == "IteratorAge"
                && a["Properties"]["Dimensions"][0]["Value"] == json!({ "Ref": "AnnounceFunction" })
        })
        .count();
    assert_eq!(behind, 1);
}
