//! A bus that fails some calls: the consumer of the table's stream must lose nothing to it.

use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use maskline::domain::events::PublishedEvent;
use maskline::ports::{EventPublisher, PublishError, SharedPublisher};

pub struct FlakyPublisher {
    pub inner: SharedPublisher,
    /// Whether the call numbered so (from 1) fails.
    failing: Box<dyn Fn(u32) -> bool + Send + Sync>,
    calls: AtomicU32,
}

impl FlakyPublisher {
    /// Fails the calls numbered in `failing` (from 1), as a bus that drops out now and then.
    pub fn failing_calls(inner: SharedPublisher, failing: &[u32]) -> Self {
        let failing = failing.to_vec();
        FlakyPublisher {
            inner,
            failing: Box::new(move |call| failing.contains(&call)),
            calls: AtomicU32::new(0),
        }
    }

    /// Fails every `period`-th call (from 1; `period` ≥ 2, so never two calls in a row).
    pub fn every(inner: SharedPublisher, period: u32) -> Self {
        assert!(period >= 2, "a period of {period} fails calls in a row");
        FlakyPublisher {
            inner,
            failing: Box::new(move |call| call % period == 0),
            calls: AtomicU32::new(0),
        }
    }

    /// Fails every call: the bus is down.
    pub fn down(inner: SharedPublisher) -> Self {
        FlakyPublisher {
            inner,
            failing: Box::new(|_| true),
            calls: AtomicU32::new(0),
        }
    }
}

#[async_trait]
impl EventPublisher for FlakyPublisher {
    async fn publish(&self, event: &PublishedEvent) -> Result<(), PublishError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if (self.failing)(call) {
            return Err(PublishError {
                detail_type: event.detail_type(),
                source: anyhow::anyhow!("the bus is down"),
            });
        }
        self.inner.publish(event).await
    }
}
