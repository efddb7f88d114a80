//! A [`SessionWrite`] as one `TransactWriteItems`, and its cancellation reasons as domain rejections.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem};
use chrono::{DateTime, Utc};

use super::items::{binding_item, key, lock_item, millis, n, s, session_item, slot_item};
use super::layout::{self, attr};
use super::DynamoStore;
use crate::domain::pool::{Health, PoolState};
use crate::ports::{BindingKey, NumberSlot, SessionWrite, StoreError, WriteError, WriteRejected};

/// Free to claim: nobody holds it, the holder's deadline passed, or this order already holds it.
const CLAIMABLE: &str = "attribute_not_exists(pk) OR live_until <= :now OR order_id = :order";
/// Still taking new sessions: checked on a VN's pool item whenever a write newly binds it.
const ALLOCATABLE: &str = "#health = :healthy AND #state = :active";
/// Ours to remove (or already gone).
const OWNED_OR_GONE: &str = "attribute_not_exists(pk) OR order_id = :order";

/// What each transaction item guards, so a cancellation reason can be turned into a rejection.
enum Guarded {
    Session,
    /// `put_bindings[i]`, a shadow under an older hash key included.
    Binding(usize),
    Lock(usize),
    Allocatable(usize),
    /// A shared claim of `newly_claimed[i]`: no other live session may hold the VN exclusively.
    NotLocked(usize),
    BindingRemoval(usize),
    LockRemoval(usize),
    Slot(usize),
    SlotRemoval(usize),
}

impl DynamoStore {
    pub(super) async fn transact_session_write(
        &self,
        write: &SessionWrite,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        let (guards, items): (Vec<_>, Vec<_>) = SessionTransaction {
            table: &self.table,
            write,
            now,
        }
        .items()
        .into_iter()
        .unzip();
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(request_token(write, now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => Err(rejection(err, &guards, write)),
        }
    }
}

/// The items of one session write, each with what it guards: one builder per kind of guarded
/// write, in the order the transaction sends them.
struct SessionTransaction<'a> {
    table: &'a str,
    write: &'a SessionWrite,
    now: DateTime<Utc>,
}

type GuardedItem = (Guarded, TransactWriteItem);

impl SessionTransaction<'_> {
    fn items(&self) -> Vec<GuardedItem> {
        let mut items = vec![self.session_put()];
        items.extend(self.binding_claims());
        items.extend(self.binding_removals());
        items.extend(self.lock_claims());
        items.extend(self.lock_removals());
        items.extend(self.slot_claims());
        items.extend(self.slot_removals());
        items.extend(self.not_locked_checks());
        items.extend(self.allocatable_checks());
        items
    }

    fn order(&self) -> AttributeValue {
        s(self.write.record.session.order_id.as_str())
    }

    fn claim_values(&self) -> Option<HashMap<String, AttributeValue>> {
        Some(HashMap::from([
            (":now".to_string(), n(millis(self.now))),
            (":order".to_string(), self.order()),
        ]))
    }

    fn owner_values(&self) -> Option<HashMap<String, AttributeValue>> {
        Some(HashMap::from([(":order".to_string(), self.order())]))
    }

    /// A claim-style check of one item (free, expired, or this order's).
    fn claimable(&self, pk: String, sk: String) -> TransactWriteItem {
        let check = ConditionCheck::builder()
            .table_name(self.table)
            .set_key(Some(key(pk, sk)))
            .condition_expression(CLAIMABLE)
            .set_expression_attribute_values(self.claim_values())
            .build()
            .expect("condition check has a table, key and condition");
        TransactWriteItem::builder().condition_check(check).build()
    }

    /// The session itself: new, or exactly the version the write was planned from.
    fn session_put(&self) -> GuardedItem {
        let session_put = Put::builder()
            .table_name(self.table)
            .set_item(Some(session_item(&self.write.record)));
        let session_put = match self.write.expected_version {
            None => session_put.condition_expression("attribute_not_exists(pk)"),
            Some(version) => session_put
                .condition_expression("#version = :version")
                .expression_attribute_names("#version", attr::VERSION)
                .expression_attribute_values(":version", n(version as i64)),
        };
        (Guarded::Session, put(session_put))
    }

    fn binding_claims(&self) -> Vec<GuardedItem> {
        let session = &self.write.record.session;
        let claim = |binding| {
            Put::builder()
                .table_name(self.table)
                .set_item(Some(binding_item(binding, session)))
                .condition_expression(CLAIMABLE)
                .set_expression_attribute_values(self.claim_values())
        };
        let bindings = self.write.put_bindings.iter().enumerate();
        bindings
            .map(|(index, binding)| (Guarded::Binding(index), put(claim(binding))))
            .collect()
    }

    fn binding_removals(&self) -> Vec<GuardedItem> {
        let removal = |binding: &BindingKey| {
            Delete::builder()
                .table_name(self.table)
                .set_key(Some(key(
                    layout::vn_pk(&binding.vn),
                    layout::binding_sk(&binding.caller_key),
                )))
                .condition_expression(OWNED_OR_GONE)
                .set_expression_attribute_values(self.owner_values())
        };
        let removals = self.write.delete_bindings.iter().enumerate();
        removals
            .map(|(index, binding)| (Guarded::BindingRemoval(index), delete(removal(binding))))
            .collect()
    }

    fn lock_claims(&self) -> Vec<GuardedItem> {
        let session = &self.write.record.session;
        let claim = |lock| {
            Put::builder()
                .table_name(self.table)
                .set_item(Some(lock_item(lock, session)))
                .condition_expression(CLAIMABLE)
                .set_expression_attribute_values(self.claim_values())
        };
        let locks = self.write.put_locks.iter().enumerate();
        locks
            .map(|(index, lock)| (Guarded::Lock(index), put(claim(lock))))
            .collect()
    }

    fn lock_removals(&self) -> Vec<GuardedItem> {
        let removal = |vn| {
            Delete::builder()
                .table_name(self.table)
                .set_key(Some(key(layout::vn_pk(vn), layout::LOCK)))
                .condition_expression(OWNED_OR_GONE)
                .set_expression_attribute_values(self.owner_values())
        };
        let removals = self.write.delete_locks.iter().enumerate();
        removals
            .map(|(index, vn)| (Guarded::LockRemoval(index), delete(removal(vn))))
            .collect()
    }

    /// Each slot the session holds: free, expired, or already this order's — the cap's guard.
    fn slot_claims(&self) -> Vec<GuardedItem> {
        let session = &self.write.record.session;
        let claim = |slot| {
            Put::builder()
                .table_name(self.table)
                .set_item(Some(slot_item(slot, session)))
                .condition_expression(CLAIMABLE)
                .set_expression_attribute_values(self.claim_values())
        };
        let slots = self.write.put_slots.iter().enumerate();
        slots
            .map(|(index, slot)| (Guarded::Slot(index), put(claim(slot))))
            .collect()
    }

    fn slot_removals(&self) -> Vec<GuardedItem> {
        let removal = |slot: &NumberSlot| {
            Delete::builder()
                .table_name(self.table)
                .set_key(Some(key(
                    layout::vn_pk(&slot.vn),
                    layout::slot_sk(slot.slot),
                )))
                .condition_expression(OWNED_OR_GONE)
                .set_expression_attribute_values(self.owner_values())
        };
        let removals = self.write.delete_slots.iter().enumerate();
        removals
            .map(|(index, slot)| (Guarded::SlotRemoval(index), delete(removal(slot))))
            .collect()
    }

    /// A shared claim must respect an exclusive hold: sessions written under another
    /// ALLOCATION_POLICY (a policy switch, or a rolling deploy) share the table. A VN claimed
    /// exclusively needs no check: the lock's own put guards it.
    fn not_locked_checks(&self) -> Vec<GuardedItem> {
        let write = self.write;
        let claimed = write.newly_claimed.iter().enumerate();
        claimed
            .filter(|(_, vn)| !write.put_locks.iter().any(|lock| &lock.vn == *vn))
            .map(|(index, vn)| {
                let check = self.claimable(layout::vn_pk(vn), layout::LOCK.to_string());
                (Guarded::NotLocked(index), check)
            })
            .collect()
    }

    /// Every VN the write newly binds must still be taking sessions (healthy and active).
    fn allocatable_checks(&self) -> Vec<GuardedItem> {
        let check = |vn| {
            ConditionCheck::builder()
                .table_name(self.table)
                .set_key(Some(key(layout::vn_pk(vn), layout::META)))
                .condition_expression(ALLOCATABLE)
                .expression_attribute_names("#health", attr::HEALTH)
                .expression_attribute_names("#state", attr::POOL_STATE)
                .expression_attribute_values(":healthy", s(Health::Healthy.as_str()))
                .expression_attribute_values(":active", s(PoolState::Active.as_str()))
                .build()
                .expect("condition check has a table, key and condition")
        };
        let claimed = self.write.newly_claimed.iter().enumerate();
        claimed
            .map(|(index, vn)| {
                let item = TransactWriteItem::builder()
                    .condition_check(check(vn))
                    .build();
                (Guarded::Allocatable(index), item)
            })
            .collect()
    }
}

/// Names this exact write (its content and the instant it was judged at), so a repeat of the same
/// request within DynamoDB's 10-minute window succeeds without writing again: an SDK retry after a
/// timeout whose first try did commit then reports success, where it would otherwise fail its own
/// version check and the caller would wrongly conclude that somebody else moved the session.
/// A different write never shares the token; if the names ever collided, DynamoDB refuses the
/// mismatch and the caller plans again.
fn request_token(write: &SessionWrite, now: DateTime<Utc>) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{write:?}|{}", millis(now)).as_bytes());
    hex::encode(&digest[..18])
}

fn put(builder: aws_sdk_dynamodb::types::builders::PutBuilder) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(builder.build().expect("put has a table and an item"))
        .build()
}

fn delete(builder: aws_sdk_dynamodb::types::builders::DeleteBuilder) -> TransactWriteItem {
    TransactWriteItem::builder()
        .delete(builder.build().expect("delete has a table and a key"))
        .build()
}

/// Maps a failed transaction to the first guard that refused it. A conflict with another
/// in-flight transaction (or throttling) is contention: nothing is known to be taken.
fn rejection(
    err: SdkError<TransactWriteItemsError>,
    guards: &[Guarded],
    write: &SessionWrite,
) -> WriteError {
    let service_error = match err {
        SdkError::ServiceError(context) => context.into_err(),
        other => return WriteError::Store(StoreError::Unavailable(describe(other))),
    };
    let reasons = match &service_error {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => {
            cancelled.cancellation_reasons().to_vec()
        }
        // The same token still in flight, or (never by design) a token naming another write.
        TransactWriteItemsError::TransactionInProgressException(_)
        | TransactWriteItemsError::IdempotentParameterMismatchException(_) => {
            return WriteError::Rejected(WriteRejected::Contention)
        }
        TransactWriteItemsError::ProvisionedThroughputExceededException(_)
        | TransactWriteItemsError::RequestLimitExceeded(_) => {
            return WriteError::Store(StoreError::Throttled(
                service_error
                    .meta()
                    .code()
                    .unwrap_or("throttled")
                    .to_string(),
            ))
        }
        _ => return WriteError::Store(StoreError::Unavailable(describe(service_error))),
    };
    let (mut contention, mut throttled) = (false, false);
    for (guard, reason) in guards.iter().zip(&reasons) {
        match reason.code() {
            Some("ConditionalCheckFailed") => {
                return WriteError::Rejected(match guard {
                    Guarded::Session => WriteRejected::SessionChanged,
                    Guarded::BindingRemoval(i) => {
                        WriteRejected::BindingNotOurs(write.delete_bindings[*i].clone())
                    }
                    Guarded::LockRemoval(i) => {
                        WriteRejected::LockNotOurs(write.delete_locks[*i].clone())
                    }
                    Guarded::NotLocked(i) => WriteRejected::LockTaken {
                        vn: write.newly_claimed[*i].clone(),
                    },
                    Guarded::Binding(i) => WriteRejected::BindingTaken {
                        side: write.put_bindings[*i].caller_side,
                        vn: write.put_bindings[*i].vn.clone(),
                    },
                    Guarded::Lock(i) => WriteRejected::LockTaken {
                        vn: write.put_locks[*i].vn.clone(),
                    },
                    Guarded::Allocatable(i) => WriteRejected::NumberUnavailable {
                        vn: write.newly_claimed[*i].clone(),
                    },
                    Guarded::Slot(i) => WriteRejected::SlotTaken(write.put_slots[*i].clone()),
                    Guarded::SlotRemoval(i) => {
                        WriteRejected::SlotNotOurs(write.delete_slots[*i].clone())
                    }
                });
            }
            Some("TransactionConflict") => contention = true,
            Some("ThrottlingError") | Some("ProvisionedThroughputExceeded") => throttled = true,
            _ => {}
        }
    }
    if throttled {
        return WriteError::Store(StoreError::Throttled(
            "an item of the transaction was throttled".into(),
        ));
    }
    if contention || reasons.is_empty() {
        WriteError::Rejected(WriteRejected::Contention)
    } else {
        WriteError::Store(StoreError::Unavailable(anyhow::anyhow!(
            "transaction cancelled: {:?}",
            reasons
                .iter()
                .map(|r| r.code().unwrap_or("None"))
                .collect::<Vec<_>>()
        )))
    }
}

pub(super) fn describe<E: std::error::Error + Send + Sync + 'static>(err: E) -> anyhow::Error {
    anyhow::anyhow!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(err))
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::config::http::HttpResponse;
    use aws_sdk_dynamodb::types::error::{
        ProvisionedThroughputExceededException, TransactionCanceledException,
    };
    use aws_sdk_dynamodb::types::CancellationReason;

    use super::*;

    fn refused(err: TransactWriteItemsError) -> WriteError {
        let raw = HttpResponse::new(
            400.try_into().unwrap(),
            aws_smithy_types::body::SdkBody::empty(),
        );
        rejection(
            SdkError::service_error(err, raw),
            &[Guarded::Session],
            &empty_write(),
        )
    }

    fn empty_write() -> SessionWrite {
        use crate::domain::{OrderId, Session, SessionState};
        SessionWrite {
            record: crate::ports::SessionRecord {
                session: Session {
                    order_id: OrderId::parse("ORD-1").unwrap(),
                    region: None,
                    state: SessionState::Released,
                    customer_id: None,
                    driver_id: None,
                    numbers: None,
                    assignment: None,
                    live_until: Utc::now(),
                    released_at: None,
                },
                policy: Default::default(),
                customer: None,
                driver: None,
                version: 1,
                providers: Default::default(),
                slots: Default::default(),
            },
            expected_version: None,
            put_bindings: Vec::new(),
            delete_bindings: Vec::new(),
            put_locks: Vec::new(),
            delete_locks: Vec::new(),
            put_slots: Vec::new(),
            delete_slots: Vec::new(),
            newly_claimed: Vec::new(),
        }
    }

    fn cancelled(code: &str) -> TransactWriteItemsError {
        TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder()
                .cancellation_reasons(CancellationReason::builder().code(code).build())
                .build(),
        )
    }

    #[test]
    fn throttling_is_its_own_outcome_not_contention() {
        let over = TransactWriteItemsError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .message("slow down")
                .build(),
        );
        assert!(matches!(
            refused(over),
            WriteError::Store(StoreError::Throttled(_))
        ));
        assert!(matches!(
            refused(cancelled("ThrottlingError")),
            WriteError::Store(StoreError::Throttled(_))
        ));
        assert!(matches!(
            refused(cancelled("TransactionConflict")),
            WriteError::Rejected(WriteRejected::Contention)
        ));
    }
}
