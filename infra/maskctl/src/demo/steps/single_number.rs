//! l. Urban Company's model: an order opened with `pair_mode: single` gets ONE number that both
//! parties dial; whoever calls it reaches the other, and each sees that same number.

use anyhow::ensure;
use serde_json::json;

use crate::demo::lambda::Method;
use crate::demo::people::{AGENT_D13, CUSTOMER_7, STRANGER};
use crate::demo::stack::Stack;
use crate::demo::steps::calls::{described, rings};
use crate::demo::steps::sessions::{close, party, send};
use maskline::providers::ProviderKind;

const ORDER: &str = "ORD-U1";

pub async fn one_number_for_both(stack: &Stack) -> anyhow::Result<()> {
    let open = json!({
        "order_id": ORDER, "region": "del", "pair_mode": "single",
        "customer": party(CUSTOMER_7), "driver": party(AGENT_D13),
    });
    let created = send(stack, Method::Post, "/v1/sessions", Some(open), None).await?;
    let vn = created.text("customer_dials");
    ensure!(
        created.status == 201 && !vn.is_empty() && created.text("driver_dials") == vn,
        "POST /v1/sessions with pair_mode single: expected 201 and one number for both; got {created}"
    );
    stack.say.ok(format!(
        "l. POST /v1/sessions {ORDER} {{pair_mode: single}} -> 201: C-7 and D-13 both dial {vn}"
    ));
    for (caller, callee) in [(CUSTOMER_7, AGENT_D13), (AGENT_D13, CUSTOMER_7)] {
        let answer = stack.call(ProviderKind::Twilio, caller.phone, &vn).await?;
        ensure!(
            rings(&answer, callee, Some(&vn)),
            "{} dialling {vn} should ring {} showing {vn}; got {}",
            caller.id,
            callee.id,
            described(&answer)
        );
        stack.say.ok(format!(
            "l. {} dials {vn} -> {}'s phone rings, showing {vn}",
            caller.id, callee.id
        ));
    }
    let answer = stack
        .call(ProviderKind::Twilio, STRANGER.phone, &vn)
        .await?;
    ensure!(
        !rings(&answer, CUSTOMER_7, None) && !rings(&answer, AGENT_D13, None),
        "a stranger dialling {vn} must reach nobody; got {}",
        described(&answer)
    );
    stack
        .say
        .ok(format!("l. a stranger dials {vn} -> out of session"));
    close(stack, ORDER).await
}
