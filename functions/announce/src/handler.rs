//! Maps a batch of stream records to the announce use case, and where it stopped to the batch
//! response (`ReportBatchItemFailures`: Lambda retries the shard from the reported record).

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use maskline::adapters::dynamodb::stream::streamed_change;
use maskline::services::Announcer;

pub async fn handle(announcer: &Announcer, event: Event) -> DynamoDbEventResponse {
    let changes = event.records.iter().map(streamed_change);
    let mut response = DynamoDbEventResponse::default();
    if let Err(stopped) = announcer.announce(changes).await {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(stopped.position);
        response.batch_item_failures.push(failure);
    }
    response
}
