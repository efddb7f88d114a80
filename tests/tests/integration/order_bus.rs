//! Order events are not signed: the rules match `source: orders`, so whoever may put events on the
//! bus they listen on can send a `DriverAssigned`. The recommended setup (`OrderPlatformPrincipal`)
//! gives Maskline a bus of its own whose resource policy admits only the order platform, and
//! every order rule listens there.

use serde_json::{json, Value};

use super::deployed_template::{parameter_default, resource, resources_of_type};

#[test]
fn with_the_order_platform_named_the_rules_listen_on_a_bus_only_it_may_put_order_events_on() {
    assert_eq!(parameter_default("OrderPlatformPrincipal"), json!(""));
    let bus = resource("OrderEventBus");
    assert_eq!(bus["Condition"], "CreatesOrderBus");
    assert_eq!(
        bus["Properties"]["Name"],
        json!({"Ref": "OrderEventBusName"})
    );

    let policy = resource("OrderEventBusPolicy");
    assert_eq!(policy["Condition"], "CreatesOrderBus");
    let statement = &policy["Properties"]["Statement"];
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(
        statement["Principal"],
        json!({"AWS": {"Ref": "OrderPlatformPrincipal"}}),
        "only the order platform is admitted"
    );
    assert_eq!(statement["Action"], "events:PutEvents");
    assert_eq!(
        statement["Condition"]["StringEquals"]["events:source"], "orders",
        "and only order events"
    );

    let on_the_dedicated_bus = json!({"Fn::If": ["CreatesOrderBus", {"Ref": "OrderEventBus"},
                                                 {"Ref": "OrderEventBusName"}]});
    let rules: Vec<(&String, &Value)> = resources_of_type("AWS::Events::Rule")
        .into_iter()
        .filter(|(_, rule)| {
            rule["Properties"]["EventPattern"]["source"]
                .as_array()
                .is_some_and(|sources| sources.iter().any(|s| s == "orders"))
        })
        .collect();
    assert_eq!(
        rules.len(),
        3,
        "driver assigned, order ended, refill trigger"
    );
    for (name, rule) in rules {
        assert_eq!(
            rule["Properties"]["EventBusName"], on_the_dedicated_bus,
            "{name} listens elsewhere than the dedicated bus"
        );
    }
}
