//! h. The operator's view: what `maskctl session show ORD-1` and `maskctl pool list --region blr`
//! print, rendered by the same code.

use anyhow::Context;
use chrono::Utc;
use maskline::domain::{OrderId, Region};

use crate::demo::stack::Stack;
use crate::pool::render_table;
use crate::pool_summary::{render_summary, summarise};
use crate::pool_target;
use crate::session::SessionView;

pub async fn operators_view(stack: &Stack) -> anyhow::Result<()> {
    let tools = stack.tools()?;
    let order = OrderId::parse("ORD-1")?;
    let record = tools
        .wiring
        .ports
        .sessions
        .load_session(&order)
        .await
        .context("maskctl session show ORD-1")?
        .context("maskctl session show ORD-1: no session for order ORD-1")?;
    stack.say.step("h. maskctl session show ORD-1:");
    stack
        .say
        .details(&SessionView::of(&record, Utc::now()).render());

    let blr = Region::parse("blr")?;
    let entries = tools
        .admin
        .list_pool(Some(&blr), Utc::now())
        .await
        .context("maskctl pool list --region blr")?;
    let targets = pool_target::read(tools.wiring.ports.pool.as_ref(), Some(&blr)).await?;
    let mut listing = render_table(&entries, None);
    let summary = summarise(&entries, &targets);
    if !summary.is_empty() {
        listing.push('\n');
        listing.push_str(&render_summary(&summary));
    }
    stack.say.step("h. maskctl pool list --region blr:");
    stack.say.details(&listing);
    Ok(())
}
