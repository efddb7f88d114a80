//! Each function's role, read from the template after the real SAM transform: its inline policy
//! statements with every intrinsic resolved to a concrete ARN pattern. What this reader does not
//! model (another condition, another intrinsic, a managed policy granting data access) stops the
//! test with a message saying so: it fails closed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::request::{ACCOUNT, BUS, REGION, TABLE};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub effect: Effect,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// `ForAllValues:StringLike` on `dynamodb:LeadingKeys`: every key must match a pattern.
    pub leading_keys: Option<Vec<String>>,
}

impl std::fmt::Display for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} {} on {}",
            self.effect,
            self.actions.join(", "),
            self.resources.join(", ")
        )?;
        if let Some(keys) = &self.leading_keys {
            write!(f, " if every partition key is like {}", keys.join(" or "))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Role {
    pub statements: Vec<Statement>,
}

/// Managed policies a function role may carry: logging and reading its own queue, nothing that
/// touches the table, the bus or a secret.
const HARMLESS_MANAGED: &[&str] = &[
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSXrayWriteOnlyAccess",
];

/// The role of each function (`allocate-numbers`, ...) in `transformed`.
pub fn roles_of(transformed: &Value) -> BTreeMap<String, Role> {
    let resources = transformed["Resources"].as_object().expect("Resources");
    let mut roles = BTreeMap::new();
    for (id, resource) in resources {
        if resource["Type"] != "AWS::Serverless::Function"
            && resource["Type"] != "AWS::Lambda::Function"
        {
            continue;
        }
        let Some(role_id) = resource["Properties"]["Role"]["Fn::GetAtt"][0].as_str() else {
            panic!("function {id}: a role that is not Fn::GetAtt of a role in the template is not modelled (fails closed)");
        };
        let role = &resources[role_id];
        roles.insert(function_name(id), read_role(role_id, role));
    }
    roles
}

/// `AllocateNumbersFunction` -> `allocate-numbers`.
pub fn function_name(logical_id: &str) -> String {
    let base = logical_id.strip_suffix("Function").unwrap_or(logical_id);
    let mut name = String::new();
    for (i, c) in base.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

fn read_role(id: &str, role: &Value) -> Role {
    let properties = &role["Properties"];
    for arn in properties["ManagedPolicyArns"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let arn = arn.as_str().unwrap_or_default();
        assert!(
            HARMLESS_MANAGED.iter().any(|name| arn.ends_with(name)),
            "role {id}: managed policy {arn} is not modelled (fails closed)"
        );
    }
    let mut statements = Vec::new();
    for policy in properties["Policies"].as_array().into_iter().flatten() {
        for statement in as_list(&policy["PolicyDocument"]["Statement"]) {
            statements.push(read_statement(id, statement));
        }
    }
    Role { statements }
}

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

fn read_statement(role: &str, statement: &Value) -> Statement {
    for key in statement
        .as_object()
        .expect("a statement is an object")
        .keys()
    {
        assert!(
            matches!(
                key.as_str(),
                "Effect" | "Action" | "Resource" | "Condition" | "Sid"
            ),
            "role {role}: statement element {key} is not modelled (fails closed)"
        );
    }
    let effect = match statement["Effect"].as_str() {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        other => panic!("role {role}: effect {other:?} is not modelled"),
    };
    let actions = as_list(&statement["Action"])
        .into_iter()
        .map(|a| a.as_str().expect("an action is a string").to_string())
        .collect();
    let resources = as_list(&statement["Resource"])
        .into_iter()
        .map(|r| resolve(role, r))
        .collect();
    Statement {
        effect,
        actions,
        resources,
        leading_keys: read_condition(role, &statement["Condition"]),
    }
}

fn read_condition(role: &str, condition: &Value) -> Option<Vec<String>> {
    let conditions = condition.as_object()?;
    let mut leading_keys = None;
    for (operator, tests) in conditions {
        let tests = tests.as_object().expect("a condition maps keys to values");
        for (key, values) in tests {
            assert!(
                operator == "ForAllValues:StringLike" && key == "dynamodb:LeadingKeys",
                "role {role}: condition {operator} on {key} is not modelled (fails closed)"
            );
            leading_keys = Some(
                as_list(values)
                    .into_iter()
                    .map(|v| v.as_str().expect("a pattern").to_string())
                    .collect(),
            );
        }
    }
    leading_keys
}

/// A resource element as the ARN pattern it names once deployed.
fn resolve(role: &str, value: &Value) -> String {
    if let Some(text) = value.as_str() {
        return text.to_string();
    }
    if let Some([logical, attribute]) = value["Fn::GetAtt"].as_array().map(Vec::as_slice) {
        return get_att(role, logical.as_str().unwrap(), attribute.as_str().unwrap());
    }
    if let Some(template) = value["Fn::Sub"].as_str() {
        return substitute(role, template);
    }
    panic!("role {role}: resource {value} is not modelled (fails closed)")
}

fn get_att(role: &str, logical: &str, attribute: &str) -> String {
    match (logical, attribute) {
        (TABLE, "Arn") => format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"),
        // The stream's label is a timestamp chosen at deploy time.
        (TABLE, "StreamArn") => {
            format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}/stream/*")
        }
        // Queues are named by their logical id: no test call names one yet, and a call that
        // did would have to name the same queue.
        (queue, "Arn") if queue.ends_with("Queue") => {
            format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}")
        }
        // KMS keys likewise, by their logical id (the queues' key).
        (key, "Arn") if key.ends_with("Key") => format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}"),
        _ => panic!("role {role}: Fn::GetAtt {logical}.{attribute} is not modelled (fails closed)"),
    }
}

fn substitute(role: &str, template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closed ${...}") + start;
        let name = &rest[start + 2..end];
        out.push_str(&match name {
            "AWS::Partition" => "aws".to_string(),
            "AWS::Region" => REGION.to_string(),
            "AWS::AccountId" => ACCOUNT.to_string(),
            "OrderEventBusName" => BUS.to_string(),
            // A secret's name: no test reads one (functions read them at start-up only).
            secret if secret.ends_with("SecretName") => format!("<{secret}>"),
            attribute => match attribute.split_once('.') {
                Some((logical, attr)) => get_att(role, logical, attr),
                None => panic!("role {role}: ${{{attribute}}} is not modelled (fails closed)"),
            },
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Every function's role in `template.yaml` after the SAM transform, read once per test run.
pub fn roles() -> &'static BTreeMap<String, Role> {
    static ROLES: OnceLock<BTreeMap<String, Role>> = OnceLock::new();
    ROLES.get_or_init(|| roles_of(crate::sam::transformed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_intrinsics_resolve() {
        assert_eq!(function_name("AllocateNumbersFunction"), "allocate-numbers");
        assert_eq!(function_name("CallEventsFunction"), "call-events");
        assert_eq!(
            substitute("r", "${NumbersTable.Arn}/index/*"),
            "arn:aws:dynamodb:us-east-1:123456789012:table/NumbersTable/index/*"
        );
        assert_eq!(
            substitute("r", "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${OrderEventBusName}"),
            "arn:aws:events:us-east-1:123456789012:event-bus/OrderEventBusName"
        );
    }

    #[test]
    #[should_panic(expected = "not modelled")]
    fn an_unmodelled_condition_fails_closed() {
        read_condition(
            "r",
            &serde_json::json!({"StringEquals": {"aws:SourceVpc": "vpc-1"}}),
        );
    }
}
