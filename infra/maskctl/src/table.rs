//! `maskctl table create`: the table from the library's own definition, so a table made by hand
//! matches the one the SAM template deploys. Safe to run twice.

use anyhow::Context;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::TimeToLiveStatus;
use aws_sdk_dynamodb::Client;
use maskline::adapters::dynamodb::schema;

/// Creating the table is the one command that works on the table itself rather than through the
/// library's ports: there is nothing to wire before it exists.
pub async fn create(table: &str) -> anyhow::Result<()> {
    let aws = maskline::app::OperatorTools::aws().await;
    create_with(&Client::new(&aws), table).await
}

async fn create_with(client: &Client, table: &str) -> anyhow::Result<()> {
    if exists(client, table).await? {
        println!("table {table} already exists; nothing to do");
        warn_if_ttl_off(client, table).await?;
        return Ok(());
    }
    schema::create_table(client, table).await?;
    println!("created table {table}");
    Ok(())
}

async fn exists(client: &Client, table: &str) -> anyhow::Result<bool> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(anyhow::anyhow!("{}", DisplayErrorContext(e)))
            .with_context(|| format!("looking up table {table}")),
    }
}

/// An existing table that lacks TTL (say, its creation stopped half-way) would keep expired
/// bindings forever; "already exists" alone would hide that.
async fn warn_if_ttl_off(client: &Client, table: &str) -> anyhow::Result<()> {
    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", DisplayErrorContext(e)))
        .with_context(|| format!("reading the TTL setting of {table}"))?;
    let status = ttl
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status());
    if !matches!(
        status,
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
    ) {
        eprintln!("warning: TTL is not enabled on {table}; expired items will never be removed");
    }
    Ok(())
}
