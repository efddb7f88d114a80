//! The table's stream on DynamoDB Local, read as Lambda's event source mapping reads it: per
//! shard, in order, from where the last batch was acknowledged, handed to the `announce` handler
//! as the Lambda DynamoDB event it receives in AWS. A batch whose handler reports a failure is
//! acknowledged up to the record before it; the next delivery starts at the failed record.

use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::Event;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use maskline::services::Announcer;
use serde_json::{json, Value};
use tokio::sync::Mutex;

/// As many records as the template's event source mapping hands over at once (`BatchSize`).
pub const BATCH_SIZE: usize = 100;

pub struct TableStream {
    streams: aws_sdk_dynamodbstreams::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
    /// Per shard, the sequence number of the last record acknowledged.
    acknowledged: Mutex<HashMap<String, String>>,
}

/// What one delivery did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Records handed to the handler (and acknowledged, up to any failure).
    pub acknowledged: usize,
    /// The sequence number the handler reported failed: the next delivery starts there.
    pub failed_at: Option<String>,
}

impl TableStream {
    /// `streams` reads the stream (with the consuming function's role, as the event source mapping
    /// does); `dynamodb` only finds the stream's ARN, which the mapping is given in AWS.
    pub fn new(
        streams: aws_sdk_dynamodbstreams::Client,
        dynamodb: aws_sdk_dynamodb::Client,
        table: &str,
    ) -> TableStream {
        TableStream {
            streams,
            dynamodb,
            table: table.to_string(),
            acknowledged: Mutex::new(HashMap::new()),
        }
    }

    /// One delivery: every shard's records not yet acknowledged, in batches of [`BATCH_SIZE`],
    /// through the announce handler; a shard stops at its first reported failure.
    pub async fn deliver(&self, announcer: &Announcer) -> Delivery {
        let mut acknowledged = self.acknowledged.lock().await;
        let mut delivery = Delivery::default();
        for (shard, records) in self.pending(&acknowledged).await {
            for batch in records.chunks(BATCH_SIZE) {
                let event = lambda_event(batch);
                let response = announce::handler::handle(announcer, event).await;
                let failed = response
                    .batch_item_failures
                    .first()
                    .and_then(|f| f.item_identifier.clone());
                let done = match &failed {
                    Some(at) => batch
                        .iter()
                        .position(|r| sequence(r) == at)
                        .expect("the handler reports a record of its batch"),
                    None => batch.len(),
                };
                if done > 0 {
                    acknowledged.insert(shard.clone(), sequence(&batch[done - 1]).to_string());
                }
                delivery.acknowledged += done;
                if failed.is_some() {
                    delivery.failed_at = failed;
                    break;
                }
            }
        }
        delivery
    }

    /// Delivers until nothing is pending, as the event source mapping would: a failed record is
    /// retried `retries` times, then passed over (in AWS its position goes to the on-failure
    /// destination) so the records after it go on. Returns the records passed over.
    pub async fn drain(&self, announcer: &Announcer, retries: usize) -> Vec<String> {
        let mut passed_over = Vec::new();
        let mut attempts: HashMap<String, usize> = HashMap::new();
        loop {
            let delivery = self.deliver(announcer).await;
            let Some(failed) = delivery.failed_at else {
                return passed_over;
            };
            let tries = attempts.entry(failed.clone()).or_default();
            *tries += 1;
            if *tries > retries {
                self.pass_over(&failed).await;
                passed_over.push(failed);
            }
        }
    }

    /// Acknowledges the record at `sequence` without delivering it again.
    async fn pass_over(&self, sequence: &str) {
        let mut acknowledged = self.acknowledged.lock().await;
        for (shard, records) in self.pending(&acknowledged).await {
            if records
                .first()
                .is_some_and(|r| self::sequence(r) == sequence)
            {
                acknowledged.insert(shard, sequence.to_string());
                return;
            }
        }
    }

    /// Per shard (parents first, as DynamoDB lists them), the records after the acknowledged one.
    async fn pending(&self, acknowledged: &HashMap<String, String>) -> Vec<(String, Vec<Record>)> {
        let arn = self.stream_arn().await;
        let described = self
            .streams
            .describe_stream()
            .stream_arn(&arn)
            .send()
            .await
            .expect("describe the table's stream on DynamoDB Local");
        let shards = described
            .stream_description
            .map(|d| d.shards.unwrap_or_default())
            .unwrap_or_default();
        let mut pending = Vec::new();
        for shard in shards {
            let id = shard.shard_id.expect("a shard has an id");
            let mut iterator = self
                .streams
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(&id);
            iterator = match acknowledged.get(&id) {
                Some(after) => iterator
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(after),
                None => iterator.shard_iterator_type(ShardIteratorType::TrimHorizon),
            };
            let mut next = iterator
                .send()
                .await
                .expect("a shard iterator")
                .shard_iterator;
            let mut records = Vec::new();
            while let Some(current) = next {
                let page = self
                    .streams
                    .get_records()
                    .shard_iterator(current)
                    .send()
                    .await
                    .expect("read the table's stream");
                let got = page.records.unwrap_or_default();
                if got.is_empty() {
                    break;
                }
                records.extend(got);
                next = page.next_shard_iterator;
            }
            if !records.is_empty() {
                pending.push((id, records));
            }
        }
        pending
    }

    async fn stream_arn(&self) -> String {
        self.dynamodb
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .expect("describe the test table")
            .table
            .and_then(|t| t.latest_stream_arn)
            .expect("the table has a stream (schema::create_table turns it on)")
    }
}

fn sequence(record: &Record) -> &str {
    record
        .dynamodb
        .as_ref()
        .and_then(|r| r.sequence_number.as_deref())
        .expect("a stream record has a sequence number")
}

/// Stream records as the Lambda DynamoDB event the event source mapping would send.
pub fn lambda_event(records: &[Record]) -> Event {
    let records: Vec<Value> = records.iter().map(lambda_record).collect();
    serde_json::from_value(json!({ "Records": records })).expect("a Lambda DynamoDB event")
}

fn lambda_record(record: &Record) -> Value {
    let change = record
        .dynamodb
        .as_ref()
        .expect("a stream record has a change");
    let item = |image: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
        image.map(|image| {
            serde_json::to_value(serde_dynamo::Item::from(image.clone())).expect("an item")
        })
    };
    let mut dynamodb = json!({
        "Keys": item(change.keys.as_ref()),
        "SequenceNumber": change.sequence_number,
        "SizeBytes": change.size_bytes.unwrap_or_default(),
        "StreamViewType": change.stream_view_type.as_ref().map(|v| v.as_str()),
        "ApproximateCreationDateTime": change
            .approximate_creation_date_time
            .map(|t| t.secs() as f64)
            .unwrap_or_default(),
    });
    if let Some(new) = item(change.new_image.as_ref()) {
        dynamodb["NewImage"] = new;
    }
    if let Some(old) = item(change.old_image.as_ref()) {
        dynamodb["OldImage"] = old;
    }
    json!({
        "eventID": record.event_id,
        "eventName": record.event_name.as_ref().map(|n| n.as_str()),
        "eventSource": "aws:dynamodb",
        "eventVersion": record.event_version,
        "awsRegion": record.aws_region,
        "dynamodb": dynamodb,
    })
}
