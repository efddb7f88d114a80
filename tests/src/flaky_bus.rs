//! A bus that is down for a while: the first `failures` events of one type fail to publish.

use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use maskline::domain::events::PublishedEvent;
use maskline::ports::{EventPublisher, PublishError, SharedPublisher};

pub struct FlakyPublisher {
    pub inner: SharedPublisher,
    pub detail_type: &'static str,
    pub failures: AtomicU32,
}

impl FlakyPublisher {
    /// Fails the first `failures` MaskedNumbersChanged, as a bus outage during a failover would.
    pub fn losing_changes(inner: SharedPublisher, failures: u32) -> Self {
        FlakyPublisher {
            inner,
            detail_type: "MaskedNumbersChanged",
            failures: failures.into(),
        }
    }
}

#[async_trait]
impl EventPublisher for FlakyPublisher {
    async fn publish(&self, event: &PublishedEvent) -> Result<(), PublishError> {
        let fail = event.detail_type() == self.detail_type
            && self
                .failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        if fail {
            return Err(PublishError {
                detail_type: event.detail_type(),
                source: anyhow::anyhow!("the bus is down"),
            });
        }
        self.inner.publish(event).await
    }
}
