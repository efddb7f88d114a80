//! An AWS call as IAM sees it: the action, the resource's ARN, and for DynamoDB the partition
//! keys the request touches (`dynamodb:LeadingKeys`). Test resources (a fresh table and bus per
//! test) are named by the template resources they stand for, so their ARNs compare with the
//! role's.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::interceptors::context::Input;

/// Where the tests' ARNs live: any fixed account and region serve, the template's are resolved to
/// the same ones.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
/// The template's table, as every test table stands for it.
pub const TABLE: &str = "NumbersTable";
/// The template's order bus (the `OrderEventBusName` parameter), as every test bus stands for it.
pub const BUS: &str = "OrderEventBusName";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamRequest {
    pub action: String,
    pub resource: String,
    /// The partition-key values touched, when the request has them; `None` when unknown (a
    /// condition on them then fails closed).
    pub leading_keys: Option<Vec<String>>,
}

impl std::fmt::Display for IamRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {}", self.action, self.resource)?;
        if let Some(keys) = &self.leading_keys {
            write!(f, " (partition keys {})", keys.join(", "))?;
        }
        Ok(())
    }
}

pub fn table_arn() -> String {
    format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}")
}

pub fn index_arn(index: &str) -> String {
    format!("{}/index/{index}", table_arn())
}

/// The table's stream: its label is a timestamp chosen when the stream is created.
pub fn stream_arn() -> String {
    format!("{}/stream/2026-01-01T00:00:00.000", table_arn())
}

pub fn bus_arn() -> String {
    format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{BUS}")
}

fn dynamodb(action: &str, resource: String, keys: Option<Vec<String>>) -> IamRequest {
    IamRequest {
        action: format!("dynamodb:{action}"),
        resource,
        leading_keys: keys,
    }
}

/// The partition key of an item's key (`pk`), whatever the item kind.
fn pk(key: Option<&HashMap<String, AttributeValue>>) -> Option<Vec<String>> {
    let value = key?.get("pk")?.as_s().ok()?;
    Some(vec![value.clone()])
}

/// What IAM evaluates for one DynamoDB operation's input; `None` for an input of no known kind.
pub fn of_dynamodb(input: &Input) -> Option<Vec<IamRequest>> {
    use aws_sdk_dynamodb::operation::*;
    let table = table_arn;
    if let Some(i) = input.downcast_ref::<get_item::GetItemInput>() {
        return Some(vec![dynamodb("GetItem", table(), pk(i.key()))]);
    }
    if let Some(i) = input.downcast_ref::<put_item::PutItemInput>() {
        return Some(vec![dynamodb("PutItem", table(), pk(i.item()))]);
    }
    if let Some(i) = input.downcast_ref::<delete_item::DeleteItemInput>() {
        return Some(vec![dynamodb("DeleteItem", table(), pk(i.key()))]);
    }
    if let Some(i) = input.downcast_ref::<update_item::UpdateItemInput>() {
        return Some(vec![dynamodb("UpdateItem", table(), pk(i.key()))]);
    }
    if let Some(i) = input.downcast_ref::<query::QueryInput>() {
        let resource = i.index_name().map_or_else(table, index_arn);
        return Some(vec![dynamodb("Query", resource, query_partition(i))]);
    }
    if let Some(i) = input.downcast_ref::<scan::ScanInput>() {
        let resource = i.index_name().map_or_else(table, index_arn);
        return Some(vec![dynamodb("Scan", resource, None)]);
    }
    if let Some(i) = input.downcast_ref::<batch_get_item::BatchGetItemInput>() {
        let keys = i.request_items().map(|items| {
            items
                .values()
                .flat_map(|k| k.keys())
                .filter_map(|key| pk(Some(key)))
                .flatten()
                .collect()
        });
        return Some(vec![dynamodb("BatchGetItem", table(), keys)]);
    }
    if let Some(i) = input.downcast_ref::<batch_write_item::BatchWriteItemInput>() {
        let keys = i.request_items().map(|items| {
            items
                .values()
                .flatten()
                .filter_map(|w| {
                    w.put_request()
                        .and_then(|p| pk(Some(p.item())))
                        .or_else(|| w.delete_request().and_then(|d| pk(Some(d.key()))))
                })
                .flatten()
                .collect()
        });
        return Some(vec![dynamodb("BatchWriteItem", table(), keys)]);
    }
    if let Some(i) = input.downcast_ref::<transact_write_items::TransactWriteItemsInput>() {
        // IAM evaluates each item of a transaction as its own action.
        return Some(
            i.transact_items()
                .iter()
                .filter_map(|item| {
                    if let Some(p) = item.put() {
                        Some(dynamodb("PutItem", table(), pk(Some(p.item()))))
                    } else if let Some(d) = item.delete() {
                        Some(dynamodb("DeleteItem", table(), pk(Some(d.key()))))
                    } else if let Some(u) = item.update() {
                        Some(dynamodb("UpdateItem", table(), pk(Some(u.key()))))
                    } else {
                        let c = item.condition_check()?;
                        Some(dynamodb("ConditionCheckItem", table(), pk(Some(c.key()))))
                    }
                })
                .collect(),
        );
    }
    if let Some(i) = input.downcast_ref::<transact_get_items::TransactGetItemsInput>() {
        return Some(
            i.transact_items()
                .iter()
                .filter_map(|item| item.get())
                .map(|g| dynamodb("GetItem", table(), pk(Some(g.key()))))
                .collect(),
        );
    }
    None
}

/// The partition key a query names: the value its key condition compares `pk` (or the index's
/// partition attribute) with. Only the simple `<name> = :value` form is read; anything else is
/// unknown.
fn query_partition(input: &aws_sdk_dynamodb::operation::query::QueryInput) -> Option<Vec<String>> {
    let condition = input.key_condition_expression()?;
    let first = condition.split(" AND ").next()?.trim();
    let (name, value) = first.split_once('=')?;
    let name = name.trim();
    let name = match name.strip_prefix('#') {
        Some(_) => input.expression_attribute_names()?.get(name)?.as_str(),
        None => name,
    };
    // Only the table's own partition key is a leading key; an index's is not.
    if name != "pk" || input.index_name().is_some() {
        return None;
    }
    let value = input.expression_attribute_values()?.get(value.trim())?;
    Some(vec![value.as_s().ok()?.clone()])
}

/// What IAM evaluates for a call on the table's stream (the event source mapping reads it with
/// the consuming function's role).
pub fn of_dynamodb_streams(input: &Input) -> Option<Vec<IamRequest>> {
    use aws_sdk_dynamodbstreams::operation::*;
    let action = if input
        .downcast_ref::<describe_stream::DescribeStreamInput>()
        .is_some()
    {
        "DescribeStream"
    } else if input
        .downcast_ref::<get_shard_iterator::GetShardIteratorInput>()
        .is_some()
    {
        "GetShardIterator"
    } else if input
        .downcast_ref::<get_records::GetRecordsInput>()
        .is_some()
    {
        "GetRecords"
    } else if input
        .downcast_ref::<list_streams::ListStreamsInput>()
        .is_some()
    {
        "ListStreams"
    } else {
        return None;
    };
    Some(vec![dynamodb(action, stream_arn(), None)])
}

/// What IAM evaluates for an EventBridge call.
pub fn of_eventbridge(input: &Input) -> Option<Vec<IamRequest>> {
    // Every test bus stands for the order bus, whichever entries name it.
    input.downcast_ref::<aws_sdk_eventbridge::operation::put_events::PutEventsInput>()?;
    Some(vec![IamRequest {
        action: "events:PutEvents".into(),
        resource: bus_arn(),
        leading_keys: None,
    }])
}
