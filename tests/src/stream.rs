//! The table's stream on DynamoDB Local, read as Lambda's event source mapping reads it: per
//! shard, in order, from where the last batch was acknowledged, keeping each shard's iterator
//! between polls, dropping records the mapping's filter leaves out (`sk = SESSION`), and handing
//! the rest to the `announce` handler as the Lambda DynamoDB event it receives in AWS. A batch
//! whose handler reports a failure is acknowledged up to the record before it; the next delivery
//! starts at the failed record.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_lambda_events::event::dynamodb::Event;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use maskline::services::Announcer;
use serde_json::{json, Value};
use tokio::sync::Mutex;

/// As many records as the template's event source mapping hands over at once (`BatchSize`).
pub const BATCH_SIZE: usize = 100;

/// How often the shard list is asked for again, for shards opened since (the mapping discovers
/// new shards on its own schedule too); a shard read to its end is a reason to ask at once.
const RELIST_EVERY: Duration = Duration::from_secs(1);

pub struct TableStream {
    streams: aws_sdk_dynamodbstreams::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
    cursors: Mutex<Cursors>,
}

/// Where the reader stands: the stream, its shards and each shard's position.
#[derive(Default)]
struct Cursors {
    arn: Option<String>,
    /// In the order DynamoDB lists them: parents first.
    shards: Vec<Shard>,
    listed_at: Option<Instant>,
}

struct Shard {
    id: String,
    /// The sequence number of the last record acknowledged; none yet: from the trim horizon.
    acknowledged: Option<String>,
    /// Where the next read continues; none: open one after `acknowledged` (at the start, and
    /// after a failure, whose records are read again).
    iterator: Option<String>,
    /// A closed shard read to its end: nothing more comes from it.
    ended: bool,
}

/// How much of a shard one read takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Until a page comes back empty: everything committed so far.
    ToTheEnd,
    /// One `GetRecords`, as each poll of the event source mapping makes.
    OnePage,
}

/// What one delivery did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Records consumed: handed to the handler (and acknowledged, up to any failure) or left out
    /// by the mapping's filter.
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
            cursors: Mutex::new(Cursors::default()),
        }
    }

    /// One delivery: every shard's records not yet acknowledged, in batches of [`BATCH_SIZE`],
    /// through the announce handler; a shard stops at its first reported failure.
    pub async fn deliver(&self, announcer: &Announcer) -> Delivery {
        self.deliver_read(announcer, Reading::ToTheEnd).await
    }

    /// One poll of the event source mapping: a single `GetRecords` per shard, from its kept
    /// iterator, handed over as [`TableStream::deliver`] does; what a page leaves waits for the
    /// next poll.
    pub async fn poll(&self, announcer: &Announcer) -> Delivery {
        self.deliver_read(announcer, Reading::OnePage).await
    }

    async fn deliver_read(&self, announcer: &Announcer, reading: Reading) -> Delivery {
        let mut cursors = self.cursors.lock().await;
        let arn = self.list_shards(&mut cursors).await;
        let mut delivery = Delivery::default();
        for shard in cursors.shards.iter_mut().filter(|s| !s.ended) {
            let records = self.read(&arn, shard, reading).await;
            let Some(last) = records.last().map(|r| sequence(r).to_string()) else {
                continue;
            };
            let read = records.len();
            let kept: Vec<Record> = records.into_iter().filter(passes_filter).collect();
            let mut failed = None;
            let mut handed_over = 0;
            for batch in kept.chunks(BATCH_SIZE) {
                let event = lambda_event(batch);
                let response = announce::handler::handle(announcer, event).await;
                failed = response
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
                    shard.acknowledged = Some(sequence(&batch[done - 1]).to_string());
                }
                handed_over += done;
                if failed.is_some() {
                    break;
                }
            }
            match failed {
                // The failed record and every one read after it are read again next time.
                Some(at) => {
                    shard.iterator = None;
                    shard.ended = false;
                    delivery.acknowledged += handed_over;
                    delivery.failed_at = Some(at);
                }
                // Every record read is consumed, those the filter left out included.
                None => {
                    shard.acknowledged = Some(last);
                    delivery.acknowledged += read;
                }
            }
        }
        delivery
    }

    /// Acknowledges everything the stream holds without delivering it, as a mapping created now
    /// with `StartingPosition: LATEST` would; returns how many records it passed.
    pub async fn skip_pending(&self) -> usize {
        let mut cursors = self.cursors.lock().await;
        let arn = self.list_shards(&mut cursors).await;
        let mut skipped = 0;
        for shard in cursors.shards.iter_mut().filter(|s| !s.ended) {
            let records = self.read(&arn, shard, Reading::ToTheEnd).await;
            if let Some(last) = records.last() {
                shard.acknowledged = Some(sequence(last).to_string());
            }
            skipped += records.len();
        }
        skipped
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

    /// Acknowledges the record at `sequence` (the one a delivery just reported failed) without
    /// delivering it again.
    async fn pass_over(&self, sequence: &str) {
        let mut cursors = self.cursors.lock().await;
        let arn = self.list_shards(&mut cursors).await;
        // Only a shard that stopped at a failure waits to be read again from it.
        for shard in cursors.shards.iter_mut().filter(|s| s.iterator.is_none()) {
            let records = self.read(&arn, shard, Reading::ToTheEnd).await;
            shard.iterator = None;
            shard.ended = false;
            let first_handed_over = records.iter().find(|r| passes_filter(r));
            if first_handed_over.is_some_and(|r| self::sequence(r) == sequence) {
                shard.acknowledged = Some(sequence.to_string());
                return;
            }
        }
    }

    /// What the shard holds past its position (all of it, or one page), reading on from its
    /// iterator.
    async fn read(&self, arn: &str, shard: &mut Shard, reading: Reading) -> Vec<Record> {
        let mut next = match shard.iterator.take() {
            Some(iterator) => Some(iterator),
            None => self.open(arn, shard).await,
        };
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
            next = page.next_shard_iterator;
            if got.is_empty() {
                break;
            }
            records.extend(got);
            if reading == Reading::OnePage {
                break;
            }
        }
        // No next iterator: a closed shard, read to its end.
        shard.ended = next.is_none();
        shard.iterator = next;
        records
    }

    /// A new iterator just after the shard's acknowledged record (or at its start).
    async fn open(&self, arn: &str, shard: &Shard) -> Option<String> {
        let request = self
            .streams
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(&shard.id);
        let request = match &shard.acknowledged {
            Some(after) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .sequence_number(after),
            None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        request
            .send()
            .await
            .expect("a shard iterator")
            .shard_iterator
    }

    /// The stream's ARN, after adding the shards opened since the list was last read (at most
    /// once a [`RELIST_EVERY`], unless a shard has ended).
    async fn list_shards(&self, cursors: &mut Cursors) -> String {
        let arn = match &cursors.arn {
            Some(arn) => arn.clone(),
            None => {
                let arn = self.stream_arn().await;
                cursors.arn = Some(arn.clone());
                arn
            }
        };
        let fresh = cursors
            .listed_at
            .is_some_and(|at| at.elapsed() < RELIST_EVERY);
        if fresh && cursors.shards.iter().all(|s| !s.ended) {
            return arn;
        }
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
        for listed in shards {
            let id = listed.shard_id.expect("a shard has an id");
            if !cursors.shards.iter().any(|s| s.id == id) {
                cursors.shards.push(Shard {
                    id,
                    acknowledged: None,
                    iterator: None,
                    ended: false,
                });
            }
        }
        cursors.listed_at = Some(Instant::now());
        arn
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

/// The event source mapping's filter (template.yaml, `AnnounceStream`): only session items.
fn passes_filter(record: &Record) -> bool {
    record
        .dynamodb
        .as_ref()
        .and_then(|r| r.keys.as_ref())
        .and_then(|keys| keys.get("sk"))
        .is_some_and(|sk| matches!(sk, AttributeValue::S(s) if s == "SESSION"))
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
