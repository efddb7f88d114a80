//! smoke. docs/deploying.md's smoke test, run exactly as the doc prints it against the local stack:
//! only its placeholders filled (the stack's name, the Twilio auth token), `aws` a stand-in that
//! answers from this stack (demo/stand_in.rs). The block adds two numbers, puts a DriverAssigned on
//! the bus, reads the number the customer dials from the session and plays Twilio calling it; the
//! agent's phone must ring, showing the number the agent dials, as the doc's last line promises.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{bail, ensure, Context};
use chrono::Utc;
use maskline::domain::OrderId;
use maskline::public_url::public_base;

use crate::demo::smoke_doc::{
    block_under, fill, CallLine, HEADING, STACK_PLACEHOLDER, TOKEN_PLACEHOLDER,
};
use crate::demo::stack::Stack;
use crate::demo::stand_in::{self, LocalStack};
use crate::session::SessionView;

/// The name the stand-in answers to: the block must ask for the stack it was told to.
const LOCAL_STACK: &str = "maskline-local";
/// The order the block assigns.
const ORDER: &str = "SMOKE-1";
/// The block waits up to 60 s for the session; the rest is a few commands.
const LIMIT: Duration = Duration::from_secs(180);

pub async fn deploying_md(stack: &Stack) -> anyhow::Result<()> {
    let doc = &stack.deploying_doc;
    let text =
        std::fs::read_to_string(doc).with_context(|| format!("reading {}", doc.display()))?;
    let block = block_under(&text, HEADING).with_context(|| format!("in {}", doc.display()))?;
    let promised = CallLine::promised_by(&block)?;
    let token = stack.secrets.twilio_auth_token.as_deref();
    let token = token.context("TWILIO_AUTH_TOKEN is not set for the walkthrough")?;
    let script = fill(&block, STACK_PLACEHOLDER, &format!("STACK={LOCAL_STACK}\n"))?;
    let script = fill(
        &script,
        TOKEN_PLACEHOLDER,
        &format!("TWILIO_AUTH_TOKEN={token}"),
    )?;

    let dir = stack.run_dir.join("smoke");
    let local = LocalStack {
        name: LOCAL_STACK,
        table: &stack.table,
        // Locally each function has its own prefix; the block calls resolve-call only.
        api_url: &public_base(&stack.public_base, "/webhooks/twilio/voice"),
        bus: &stack.bus,
    };
    let bin = stand_in::prepare(&dir, &stack.python, &local)?;
    let ran = stand_in::run(&dir, &bin, &script, LIMIT).await?;
    let ends = format!("{} (block and output: {}/)", doc.display(), dir.display());
    match ran.code {
        Some(0) => {}
        Some(code) => bail!("the smoke test of {ends} exited {code}:\n{}", ran.output),
        None => bail!(
            "the smoke test of {ends} ran over {LIMIT:?}:\n{}",
            ran.output
        ),
    }
    stack.say.step(format!(
        "smoke. the smoke test of {}, run as printed (stack {LOCAL_STACK}: a stand-in aws \
         answers from the local stack):",
        doc.display()
    ));
    stack.say.details(&ran.output);

    let session = session_of(stack).await?;
    let customer = session.customer_dials.context("SMOKE-1 has no numbers")?;
    let driver = session.driver_dials.context("SMOKE-1 has no numbers")?;
    let printed = CallLine::last_in(&ran.output)
        .with_context(|| format!("the smoke test of {ends} printed no connected call"))?;
    let expected = CallLine {
        dials: customer.clone(),
        shows: driver.clone(),
        ..promised.clone()
    };
    ensure!(
        printed == expected,
        "the smoke test printed\n  {printed}\nwhere {} promises\n  {promised}\n(with this \
         run's numbers: {expected})",
        doc.display()
    );
    // The doc's example must show the numbers the block adds, in one order or the other.
    let shown = BTreeSet::from([&promised.dials, &promised.shows]);
    ensure!(
        shown == BTreeSet::from([&customer, &driver]),
        "{} promises a call between {shown:?}, but SMOKE-1 was given {customer} and {driver}",
        doc.display()
    );
    stack.say.ok(format!(
        "smoke. {ORDER}'s customer dials {customer} -> the agent's phone rings ({}), showing \
         {driver}, the number the agent dials: {} holds",
        printed.rings,
        doc.display()
    ));
    Ok(())
}

/// SMOKE-1 as `maskctl session show SMOKE-1 --json` shows it.
async fn session_of(stack: &Stack) -> anyhow::Result<SessionView> {
    let order = OrderId::parse(ORDER)?;
    let record = stack
        .tools()?
        .wiring
        .ports
        .sessions
        .load_session(&order)
        .await
        .with_context(|| format!("loading {ORDER}"))?
        .with_context(|| format!("the smoke test left no session {ORDER}"))?;
    Ok(SessionView::of(&record, Utc::now()))
}
