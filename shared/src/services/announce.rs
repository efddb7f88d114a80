//! The table's stream -> `MaskedNumbersAssigned` / `Changed` / `Released` (a transactional
//! outbox): every committed session change is in the stream, in commit order per order, whatever
//! happened to its writer after the commit, so announcing from here loses nothing and never
//! sends an order's versions out of order.
//!
//! A batch is published in record order and stops at the first record that fails: that record
//! is reported back (Lambda retries the shard from it, so nothing after it overtakes it). A
//! record that cannot be decoded is reported the same way: the event source mapping's bisection,
//! retries and on-failure destination isolate it, and the records after it go on.

use tracing::{error, info};

use crate::domain::announcement::{announcement, Snapshot};
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
        let mut published = 0;
        for record in records {
            let change = match record.change {
                Ok(Some(change)) => change,
                Ok(None) => continue,
                Err(e) => {
                    error!(position = %record.position, error = %e,
                           "stream record cannot be decoded; reported failed for the event source mapping to isolate");
                    metrics::event_ignored("StreamRecord", "undecodable");
                    return Err(NotAnnounced {
                        position: record.position,
                        reason: e.to_string(),
                    });
                }
            };
            let Some(event) = announcement(snapshot(&change.before), snapshot(&change.after))
            else {
                continue;
            };
            if let Err(e) = self.publisher.publish(&event).await {
                error!(position = %record.position, error = %e,
                       "announcement not published; the shard is retried from this record");
                return Err(NotAnnounced {
                    position: record.position,
                    reason: e.to_string(),
                });
            }
            published += 1;
        }
        if published > 0 {
            info!(published, "session changes announced");
        }
        Ok(published)
    }
}

fn snapshot(record: &Option<SessionRecord>) -> Option<Snapshot<'_>> {
    record.as_ref().map(|r| Snapshot {
        session: &r.session,
        version: r.version,
    })
}
