//! m. A forward that cannot be connected (a cross-operator fault, not busy or unanswered) is tried
//! once more, presented from the callee's backup number on the other operator; a second failure
//! ends the call with the out-of-service message instead of a third try.

use anyhow::{anyhow, ensure};
use chrono::Utc;
use serde_json::json;

use crate::demo::lambda::Method;
use crate::demo::people::{AGENT_D14, CUSTOMER_8};
use crate::demo::stack::Stack;
use crate::demo::steps::calls::{described, rings};
use crate::demo::steps::sessions::{close, party, send};
use maskline::providers::simulate::{decode_dial_result_url, DecodedAnswer};
use maskline::providers::ProviderKind;

const ORDER: &str = "ORD-R1";

pub async fn failed_leg_retried_on_backup(stack: &Stack) -> anyhow::Result<()> {
    ensure!(
        stack.backups,
        "the walkthrough runs with BACKUP_NUMBERS=on (make dev sets it); this run has it off"
    );
    let open = json!({
        "order_id": ORDER, "region": "del",
        "customer": party(CUSTOMER_8), "driver": party(AGENT_D14),
    });
    let created = send(stack, Method::Post, "/v1/sessions", Some(open), None).await?;
    let (dials, shown, backup) = (
        created.text("customer_dials"),
        created.text("driver_dials"),
        created.text("driver_backup"),
    );
    ensure!(
        created.status == 201 && !backup.is_empty() && backup != shown,
        "POST /v1/sessions {ORDER}: expected 201 with a backup number for D-14; got {created}"
    );
    stack.say.ok(format!(
        "m. POST /v1/sessions {ORDER} -> 201: C-8 dials {dials}; D-14 is shown {shown}, backup {backup} on the other operator"
    ));

    let provider = ProviderKind::Twilio;
    let call_id = format!("SIM-retry-{}", Utc::now().timestamp_millis());
    let (first, rendered) = stack
        .call_as(provider, &call_id, CUSTOMER_8.phone, &dials)
        .await?;
    ensure!(
        rings(&first, AGENT_D14, Some(&shown)),
        "C-8 dialling {dials} should ring D-14 showing {shown}; got {}",
        described(&first)
    );
    let report_to = decode_dial_result_url(provider, &rendered)
        .ok_or_else(|| anyhow!("the answer asks for no report of the forwarded leg: {rendered}"))?;

    let (retry, rendered) = stack
        .dial_result(provider, &report_to, &call_id, "failed")
        .await?;
    ensure!(
        rings(&retry, AGENT_D14, Some(&backup)),
        "a failed forward to D-14 should be tried again showing the backup {backup}; got {}",
        described(&retry)
    );
    stack.say.ok(format!(
        "m. C-8 dials {dials}; the forward to D-14 fails (Twilio DialCallStatus=failed) -> tried once more: D-14's phone rings, showing the backup {backup}"
    ));

    let report_to = decode_dial_result_url(provider, &rendered)
        .ok_or_else(|| anyhow!("the retry asks for no report of its leg: {rendered}"))?;
    let (last, _) = stack
        .dial_result(provider, &report_to, &call_id, "failed")
        .await?;
    ensure!(
        last == DecodedAnswer::OutOfSession,
        "a forward that fails from the backup too must not be tried a third time; got {}",
        described(&last)
    );
    stack
        .say
        .ok("m. when the retry fails too -> the out-of-service message, no third try".to_string());
    close(stack, ORDER).await
}
