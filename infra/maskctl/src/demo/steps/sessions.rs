//! k. An order platform without EventBridge: one order driven entirely through `/v1/sessions`
//! (the sessions function, over HTTP): created with its numbers in the answer, asked for again,
//! called, handed to another agent with `If-Match`, a stale `If-Match` refused, and ended twice.

use anyhow::{ensure, Context};
use serde_json::{json, Value};

use crate::demo::lambda::{Method, Request};
use crate::demo::people::{Person, AGENT_D11, AGENT_D12, CUSTOMER_6};
use crate::demo::stack::Stack;
use crate::demo::steps::calls::{described, rings};
use maskline::providers::ProviderKind;

const ORDER: &str = "ORD-S1";

/// An answer of the sessions function: status, ETag and JSON body.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: Value,
}

impl Answer {
    pub(super) fn text(&self, field: &str) -> String {
        self.body[field].as_str().unwrap_or_default().to_string()
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {}", self.status, self.body)
    }
}

/// Ends `order` through `DELETE /v1/sessions/{order}`, expecting 200.
pub(super) async fn close(stack: &Stack, order: &str) -> anyhow::Result<()> {
    let closed = send(
        stack,
        Method::Delete,
        &format!("/v1/sessions/{order}"),
        None,
        None,
    )
    .await?;
    ensure!(closed.status == 200, "DELETE {order}: {closed}");
    Ok(())
}

pub(super) fn party(person: Person) -> Value {
    json!({"id": person.id, "phone": person.phone})
}

pub(super) async fn send(
    stack: &Stack,
    method: Method,
    path: &str,
    body: Option<Value>,
    if_match: Option<String>,
) -> anyhow::Result<Answer> {
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    if let Some(tag) = if_match {
        headers.push(("if-match".into(), tag));
    }
    let request = Request {
        method,
        url: format!("{}/lambda-url/sessions{path}", stack.lambda),
        headers,
        body: body.map(|b| b.to_string()).unwrap_or_default(),
    };
    let what = format!("{method:?} {path}");
    let (status, raw) = stack.send(&what, request).await?;
    let body = serde_json::from_str(&raw).with_context(|| format!("{what}: not JSON: {raw}"))?;
    Ok(Answer { status, body })
}

pub async fn one_order_over_http(stack: &Stack) -> anyhow::Result<()> {
    let open = json!({
        "order_id": ORDER, "region": "del",
        "customer": party(CUSTOMER_6), "driver": party(AGENT_D11),
    });
    let created = send(
        stack,
        Method::Post,
        "/v1/sessions",
        Some(open.clone()),
        None,
    )
    .await?;
    ensure!(
        created.status == 201 && created.text("state") == "active",
        "POST /v1/sessions: expected 201 with the numbers, got {created}"
    );
    let (c6_dials, d11_dials) = (created.text("customer_dials"), created.text("driver_dials"));
    stack.say.ok(format!(
        "k. POST /v1/sessions {ORDER} (no event, no bus) -> 201 in the same request: C-6 dials \
         {c6_dials}, D-11 dials {d11_dials}, version {}",
        created.body["version"]
    ));

    let repeated = send(stack, Method::Post, "/v1/sessions", Some(open), None).await?;
    ensure!(
        repeated.status == 200 && repeated.body == created.body,
        "the same POST again should answer 200 with the same numbers; got {repeated}"
    );
    stack
        .say
        .ok("k. the same POST again -> 200, the same numbers, nothing written");

    let answer = stack
        .call(ProviderKind::Twilio, CUSTOMER_6.phone, &c6_dials)
        .await?;
    ensure!(
        rings(&answer, AGENT_D11, Some(&d11_dials)),
        "C-6 dialling {c6_dials} should ring D-11; got {}",
        described(&answer)
    );
    stack
        .say
        .ok(format!("k. C-6 dials {c6_dials} -> D-11's phone rings"));

    let path = format!("/v1/sessions/{ORDER}");
    let seen = format!("\"{}\"", created.body["version"]);
    let reassign = json!({"driver": party(AGENT_D12)});
    let moved = send(
        stack,
        Method::Patch,
        &path,
        Some(reassign.clone()),
        Some(seen.clone()),
    )
    .await?;
    ensure!(
        moved.status == 200 && moved.text("customer_dials") == c6_dials,
        "PATCH {path} with a new driver should keep C-6's number; got {moved}"
    );
    let answer = stack
        .call(ProviderKind::Twilio, CUSTOMER_6.phone, &c6_dials)
        .await?;
    ensure!(
        rings(&answer, AGENT_D12, Some(&moved.text("driver_dials"))),
        "after the reassignment C-6 should reach D-12; got {}",
        described(&answer)
    );
    stack.say.ok(format!(
        "k. PATCH {path} {{driver: D-12}} with If-Match {seen} -> 200: C-6 keeps {c6_dials}, \
         which now rings D-12"
    ));

    let stale = send(
        stack,
        Method::Patch,
        &path,
        Some(reassign),
        Some(seen.clone()),
    )
    .await?;
    ensure!(
        stale.status == 412,
        "a PATCH with the stale If-Match {seen} should be refused with 412; got {stale}"
    );
    stack.say.ok(format!(
        "k. the same PATCH with the now stale If-Match {seen} -> {stale}"
    ));

    let closed = send(stack, Method::Delete, &path, None, None).await?;
    let again = send(stack, Method::Delete, &path, None, None).await?;
    ensure!(
        closed.status == 200
            && again.status == 200
            && closed.text("callable_until") == again.text("callable_until")
            && !closed.text("callable_until").is_empty(),
        "DELETE {path} twice should answer 200 with the same callable_until; got {closed} then {again}"
    );
    stack.say.ok(format!(
        "k. DELETE {path} -> 200, callable until {} (grace); again -> the same, nothing changed",
        closed.text("callable_until")
    ));
    Ok(())
}
