//! The table definition, in one place: `maskctl table create` and the tests build the table from
//! it, and the SAM template is checked against it.

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use super::layout::{
    attr, GSI1, GSI1_PK, GSI1_SK, GSI2, GSI2_PK, GSI2_SK, GSI3, GSI3_PK, GSI3_SK, PK, SK, TTL,
};

fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .expect("key schema element has both fields")
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute definition has both fields")
}

/// The secondary indexes. GSI1 lists a region's pool for allocation; GSI2 lists a caller's
/// bindings so the allocator can skip numbers the caller already holds (projected narrowly: it
/// never needs the sealed callee); GSI3 holds only active numbers, under random keys, so an
/// allocation reads a window of them rather than the region's whole pool.
pub fn global_secondary_indexes() -> Vec<GlobalSecondaryIndex> {
    vec![
        GlobalSecondaryIndex::builder()
            .index_name(GSI1)
            .key_schema(key(GSI1_PK, KeyType::Hash))
            .key_schema(key(GSI1_SK, KeyType::Range))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .expect("index has a name and keys"),
        GlobalSecondaryIndex::builder()
            .index_name(GSI2)
            .key_schema(key(GSI2_PK, KeyType::Hash))
            .key_schema(key(GSI2_SK, KeyType::Range))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::Include)
                    .non_key_attributes(attr::ORDER_ID)
                    .non_key_attributes(attr::LIVE_UNTIL)
                    .build(),
            )
            .build()
            .expect("index has a name and keys"),
        GlobalSecondaryIndex::builder()
            .index_name(GSI3)
            .key_schema(key(GSI3_PK, KeyType::Hash))
            .key_schema(key(GSI3_SK, KeyType::Range))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::Include)
                    .non_key_attributes(attr::VN)
                    .non_key_attributes(attr::OPERATOR)
                    .non_key_attributes(attr::PROVIDER)
                    .non_key_attributes(attr::HEALTH)
                    .build(),
            )
            .build()
            .expect("index has a name and keys"),
    ]
}

pub fn attribute_definitions() -> Vec<AttributeDefinition> {
    [PK, SK, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, GSI3_PK, GSI3_SK]
        .into_iter()
        .map(string_attribute)
        .collect()
}

pub fn key_schema() -> Vec<KeySchemaElement> {
    vec![key(PK, KeyType::Hash), key(SK, KeyType::Range)]
}

/// The table's stream, with both images: `announce` publishes each session change from it (the
/// event a change announces depends on the session before and after it).
pub fn stream_specification() -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewAndOldImages)
        .build()
        .expect("stream specification has both fields")
}

/// Creates the table (on-demand billing, with its stream) and turns on TTL over the `ttl`
/// attribute.
pub async fn create_table(client: &Client, table_name: &str) -> anyhow::Result<()> {
    client
        .create_table()
        .table_name(table_name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attribute_definitions()))
        .set_key_schema(Some(key_schema()))
        .set_global_secondary_indexes(Some(global_secondary_indexes()))
        .stream_specification(stream_specification())
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "creating table {table_name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;
    // TTL can only be switched on once the table is ACTIVE (DynamoDB Local is instant; AWS is not).
    client
        .wait_until_table_exists()
        .table_name(table_name)
        .wait(std::time::Duration::from_secs(300))
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "waiting for table {table_name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;
    client
        .update_time_to_live()
        .table_name(table_name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL)
                .enabled(true)
                .build()
                .expect("ttl specification has both fields"),
        )
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "enabling TTL on {table_name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;
    Ok(())
}
