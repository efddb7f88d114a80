//! IAM's decision for one request against one role: an explicit Deny wins, else an Allow whose
//! action, resource and condition all match, else denied. When denied, the closest statement (an
//! Allow of the same action, else of the same service) is named, so a failure says what to fix.

use super::policy::{Effect, Role, Statement};
use super::request::IamRequest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Denied { closest: Option<Statement> },
}

/// IAM's wildcard match: `*` any run of characters, `?` exactly one.
pub fn like(pattern: &str, value: &str) -> bool {
    fn go(p: &[u8], v: &[u8]) -> bool {
        match (p.first(), v.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], v) || (!v.is_empty() && go(p, &v[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &v[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &v[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), value.as_bytes())
}

fn action_matches(statement: &Statement, action: &str) -> bool {
    // Action names are case-insensitive in IAM.
    let action = action.to_ascii_lowercase();
    statement
        .actions
        .iter()
        .any(|a| like(&a.to_ascii_lowercase(), &action))
}

fn resource_matches(statement: &Statement, resource: &str) -> bool {
    statement.resources.iter().any(|r| like(r, resource))
}

/// `ForAllValues:StringLike`: every key matches one of the patterns. Keys the request's shape
/// does not tell are taken as not matching (fail closed).
fn condition_holds(statement: &Statement, request: &IamRequest) -> bool {
    let Some(patterns) = &statement.leading_keys else {
        return true;
    };
    let Some(keys) = &request.leading_keys else {
        return false;
    };
    keys.iter()
        .all(|key| patterns.iter().any(|pattern| like(pattern, key)))
}

fn applies(statement: &Statement, request: &IamRequest) -> bool {
    action_matches(statement, &request.action)
        && resource_matches(statement, &request.resource)
        && condition_holds(statement, request)
}

pub fn evaluate(role: &Role, request: &IamRequest) -> Decision {
    let applicable = |effect: Effect| {
        role.statements
            .iter()
            .any(|s| s.effect == effect && applies(s, request))
    };
    if !applicable(Effect::Deny) && applicable(Effect::Allow) {
        return Decision::Allowed;
    }
    let service = request.action.split(':').next().unwrap_or_default();
    let closest = role
        .statements
        .iter()
        .find(|s| s.effect == Effect::Allow && action_matches(s, &request.action))
        .or_else(|| {
            role.statements.iter().find(|s| {
                s.actions
                    .iter()
                    .any(|a| a.split(':').next() == Some(service))
            })
        })
        .cloned();
    Decision::Denied { closest }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(effect: Effect, action: &str, resource: &str, keys: Option<&[&str]>) -> Statement {
        Statement {
            effect,
            actions: vec![action.into()],
            resources: vec![resource.into()],
            leading_keys: keys.map(|k| k.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn put(pk: &str) -> IamRequest {
        IamRequest {
            action: "dynamodb:PutItem".into(),
            resource: "arn:aws:dynamodb:r:a:table/T".into(),
            leading_keys: Some(vec![pk.into()]),
        }
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(like("VN#*", "VN#+9198"));
        assert!(like("secret:x-??????", "secret:x-AbC123"));
        assert!(!like("secret:x-??????", "secret:x-AbC12"));
        assert!(!like("VN#*", "REGIONS"));
    }

    #[test]
    fn leading_keys_bound_each_item_and_deny_wins() {
        let role = Role {
            statements: vec![statement(
                Effect::Allow,
                "dynamodb:PutItem",
                "arn:aws:dynamodb:r:a:table/T",
                Some(&["VN#*", "LEASE#*"]),
            )],
        };
        assert_eq!(evaluate(&role, &put("VN#1")), Decision::Allowed);
        assert!(matches!(
            evaluate(&role, &put("REGIONS")),
            Decision::Denied { closest: Some(_) }
        ));
        let unknown = IamRequest {
            leading_keys: None,
            ..put("VN#1")
        };
        assert!(matches!(evaluate(&role, &unknown), Decision::Denied { .. }));

        let mut denying = role.clone();
        denying
            .statements
            .push(statement(Effect::Deny, "dynamodb:*", "*", None));
        assert!(matches!(
            evaluate(&denying, &put("VN#1")),
            Decision::Denied { .. }
        ));
    }

    #[test]
    fn an_action_the_role_does_not_name_is_denied() {
        let role = Role {
            statements: vec![statement(
                Effect::Allow,
                "dynamodb:GetItem",
                "arn:aws:dynamodb:r:a:table/T",
                None,
            )],
        };
        let batch = IamRequest {
            action: "dynamodb:BatchGetItem".into(),
            ..put("VN#1")
        };
        let Decision::Denied { closest } = evaluate(&role, &batch) else {
            panic!("BatchGetItem needs its own action");
        };
        assert_eq!(closest.unwrap().actions, ["dynamodb:GetItem"]);
    }
}
