//! The table's stream -> `MaskedNumbersAssigned` / `Changed` / `Released` (a transactional
//! outbox): every committed session change is in the stream, in commit order per order, whatever
//! happened to its writer after the commit, so announcing from here loses nothing and never
//! sends an order's versions out of order.
//!
//! A batch is published in record order, several orders' events to a call (EventBridge takes ten
//! entries a `PutEvents`), never two of one order in the same call, and stops at the first record
//! that fails: that record is reported back (Lambda retries the shard from it, so nothing after it overtakes it). A
//! record that cannot be decoded is reported the same way: the event source mapping's bisection,
//! retries and on-failure destination isolate it, and the records after it go on.

use std::collections::HashSet;

use tracing::{error, info};

use crate::domain::announcement::{announcement, Snapshot};
use crate::domain::events::PublishedEvent;
use crate::metrics;
use crate::ports::{SessionChange, SessionRecord, SharedPublisher, StoreError};

/// One record of the stream, as the handler decoded it.
#[derive(Debug)]
pub struct StreamedChange {
    /// The record's sequence number: what a failure reports back for the retry to start at.
    pub position: String,
    /// The session change, `None` for another kind of item (a binding, a pool number, ...),
    /// an error for a record that could not be decoded.
    pub change: Result<Option<SessionChange>, StoreError>,
}

/// Why a batch stopped before its end; the record at `position` and every one after it are left
/// for the retry.
#[derive(Debug, thiserror::Error)]
#[error("stream record {position} not announced: {reason}")]
pub struct NotAnnounced {
    pub position: String,
    pub reason: String,
}

pub struct Announcer {
    pub publisher: SharedPublisher,
}

impl Announcer {
    /// Publishes what each session change announces, in record order. Returns how many events
    /// went out, or where the batch stopped.
    pub async fn announce(
        &self,
        records: impl IntoIterator<Item = StreamedChange>,
    ) -> Result<usize, NotAnnounced> {
        let (events, undecodable) = decode(records);
        let mut published = 0;
        for call in one_event_per_order(&events) {
            let batch: Vec<PublishedEvent> = call.iter().map(|(_, e)| e.clone()).collect();
            if let Err(e) = self.publisher.publish_all(&batch).await {
                published += e.published;
                let position = call[e.published].0.clone();
                error!(position = %position, error = %e.error,
                       "announcement not published; the shard is retried from this record");
                log_published(published);
                return Err(NotAnnounced {
                    position,
                    reason: e.error.to_string(),
                });
            }
            published += call.len();
        }
        log_published(published);
        match undecodable {
            Some(stopped) => Err(stopped),
            None => Ok(published),
        }
    }
}

/// The events the records announce, each with its record's position, up to the first record
/// that cannot be decoded (reported failed: the event source mapping isolates it).
fn decode(
    records: impl IntoIterator<Item = StreamedChange>,
) -> (Vec<(String, PublishedEvent)>, Option<NotAnnounced>) {
    let mut events = Vec::new();
    for record in records {
        let change = match record.change {
            Ok(Some(change)) => change,
            Ok(None) => continue,
            Err(e) => {
                error!(position = %record.position, error = %e,
                       "stream record cannot be decoded; reported failed for the event source mapping to isolate");
                metrics::event_ignored("StreamRecord", "undecodable");
                let stopped = NotAnnounced {
                    position: record.position,
                    reason: e.to_string(),
                };
                return (events, Some(stopped));
            }
        };
        if let Some(event) = announcement(snapshot(&change.before), snapshot(&change.after)) {
            events.push((record.position, event));
        }
    }
    (events, None)
}

/// Consecutive runs of events with no order twice: one publish call each, so an order's events
/// leave one call after the other, in version order (entries of one `PutEvents` are not
/// delivered in a promised order), while different orders share calls.
fn one_event_per_order(events: &[(String, PublishedEvent)]) -> Vec<&[(String, PublishedEvent)]> {
    let mut calls = Vec::new();
    let mut start = 0;
    let mut orders = HashSet::new();
    for (i, (_, event)) in events.iter().enumerate() {
        if !orders.insert(event.order_id()) {
            calls.push(&events[start..i]);
            start = i;
            orders.clear();
            orders.insert(event.order_id());
        }
    }
    if start < events.len() {
        calls.push(&events[start..]);
    }
    calls
}

fn log_published(published: usize) {
    if published > 0 {
        info!(published, "session changes announced");
    }
}

fn snapshot(record: &Option<SessionRecord>) -> Option<Snapshot<'_>> {
    record.as_ref().map(|r| Snapshot {
        session: &r.session,
        version: r.version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AllocationPolicy, OrderId, Region};

    fn event(order: &str) -> (String, PublishedEvent) {
        (
            format!("pos-{order}"),
            PublishedEvent::PoolExhausted {
                region: Region::parse("blr").unwrap(),
                order_id: OrderId::parse(&format!("ORD-{order}")).unwrap(),
                policy: AllocationPolicy::Shared,
            },
        )
    }

    fn orders(call: &[(String, PublishedEvent)]) -> Vec<String> {
        call.iter()
            .map(|(_, e)| e.order_id().unwrap().as_str()["ORD-".len()..].to_string())
            .collect()
    }

    #[test]
    fn an_order_seen_again_starts_the_next_call_and_others_share_one() {
        let events: Vec<_> = ["A", "B", "C", "A", "D", "A", "A"]
            .into_iter()
            .map(event)
            .collect();
        let calls: Vec<Vec<String>> = one_event_per_order(&events)
            .into_iter()
            .map(orders)
            .collect();
        assert_eq!(
            calls,
            vec![vec!["A", "B", "C"], vec!["A", "D"], vec!["A"], vec!["A"]]
        );
    }

    #[test]
    fn no_events_make_no_call() {
        assert!(one_event_per_order(&[]).is_empty());
    }
}
