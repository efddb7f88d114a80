//! Publishes Maskline's events to an EventBridge bus.

use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;

use crate::domain::events::{PublishedEvent, MASKLINE_SOURCE};
use crate::ports::{EventPublisher, PublishError};

#[derive(Clone, Debug)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
}

impl EventBridgePublisher {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        EventBridgePublisher {
            client,
            bus: bus.into(),
        }
    }
}

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, event: &PublishedEvent) -> Result<(), PublishError> {
        let detail_type = event.detail_type();
        let failed = |source: anyhow::Error| PublishError {
            detail_type,
            source,
        };
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(MASKLINE_SOURCE)
            .detail_type(detail_type)
            .detail(event.detail().to_string())
            .build();
        let output = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| {
                failed(anyhow::anyhow!(
                    "{}",
                    aws_sdk_eventbridge::error::DisplayErrorContext(e)
                ))
            })?;
        // PutEvents succeeds as a call even when an entry is refused: check the entry itself.
        if output.failed_entry_count() > 0 {
            let reason = output
                .entries()
                .iter()
                .find_map(|e| e.error_message().or(e.error_code()))
                .unwrap_or("unknown error")
                .to_string();
            return Err(failed(anyhow::anyhow!("entry refused: {reason}")));
        }
        Ok(())
    }
}
