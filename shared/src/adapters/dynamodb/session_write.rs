//! A [`SessionWrite`] as one `TransactWriteItems`, and its cancellation reasons as domain rejections.

use std::collections::HashSet;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem};
use chrono::{DateTime, Utc};

use super::items::{binding_item, key, lock_item, millis, n, s, session_item};
use super::layout::{self, attr};
use super::DynamoStore;
use crate::domain::pool::{Health, PoolState};
use crate::domain::VirtualNumber;
use crate::ports::{SessionWrite, StoreError, WriteError, WriteRejected};
use crate::privacy::CallerKey;

/// Free to claim: nobody holds it, the holder's deadline passed, or this order already holds it.
const CLAIMABLE: &str = "attribute_not_exists(pk) OR live_until <= :now OR order_id = :order";
/// Still taking new sessions: checked on a VN's pool item whenever a write newly binds it.
const ALLOCATABLE: &str = "#health = :healthy AND #state = :active";
/// Ours to remove (or already gone).
const OWNED_OR_GONE: &str = "attribute_not_exists(pk) OR order_id = :order";

/// What each transaction item guards, so a cancellation reason can be turned into a rejection.
enum Guarded {
    Session,
    Binding(usize),
    /// `put_bindings[i]`'s caller under an older hash key: no other order's live binding there.
    BindingUnderOlderKey(usize),
    Lock(usize),
    Allocatable(usize),
    /// A shared claim of `newly_claimed[i]`: no other live session may hold the VN exclusively.
    NotLocked(usize),
    BindingRemoval(usize),
    LockRemoval(usize),
    /// Unconditional: never the reason a transaction is refused.
    Note,
}

impl DynamoStore {
    pub(super) async fn transact_session_write(
        &self,
        write: &SessionWrite,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        let session = &write.record.session;
        let order = s(session.order_id.as_str());
        let claim_values = || {
            [
                (":now".to_string(), n(millis(now))),
                (":order".to_string(), order.clone()),
            ]
            .into_iter()
            .collect()
        };
        let owner_values = || {
            [(":order".to_string(), order.clone())]
                .into_iter()
                .collect()
        };

        let mut transaction: Vec<(Guarded, TransactWriteItem)> = Vec::new();

        let session_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(session_item(&write.record)));
        let session_put = match write.expected_version {
            None => session_put.condition_expression("attribute_not_exists(pk)"),
            Some(version) => session_put
                .condition_expression("#version = :version")
                .expression_attribute_names("#version", attr::VERSION)
                .expression_attribute_values(":version", n(version as i64)),
        };
        transaction.push((Guarded::Session, put(session_put)));

        for (index, binding) in write.put_bindings.iter().enumerate() {
            let claim = Put::builder()
                .table_name(&self.table)
                .set_item(Some(binding_item(binding, session)))
                .condition_expression(CLAIMABLE)
                .set_expression_attribute_values(Some(claim_values()));
            transaction.push((Guarded::Binding(index), put(claim)));
        }
        for (index, vn, older_key) in older_key_checks(write) {
            // While a hash key is rotated out, the caller's sessions from before are under the
            // old key: the same caller on the same VN twice would make their calls ambiguous.
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key(layout::vn_pk(vn), layout::binding_sk(older_key))))
                .condition_expression(CLAIMABLE)
                .set_expression_attribute_values(Some(claim_values()))
                .build()
                .expect("condition check has a table, key and condition");
            transaction.push((
                Guarded::BindingUnderOlderKey(index),
                TransactWriteItem::builder().condition_check(check).build(),
            ));
        }
        for (index, binding) in write.delete_bindings.iter().enumerate() {
            let removal = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(
                    layout::vn_pk(&binding.vn),
                    layout::binding_sk(&binding.caller_key),
                )))
                .condition_expression(OWNED_OR_GONE)
                .set_expression_attribute_values(Some(owner_values()));
            transaction.push((Guarded::BindingRemoval(index), delete(removal)));
        }
        for (index, lock) in write.put_locks.iter().enumerate() {
            let claim = Put::builder()
                .table_name(&self.table)
                .set_item(Some(lock_item(lock, session)))
                .condition_expression(CLAIMABLE)
                .set_expression_attribute_values(Some(claim_values()));
            transaction.push((Guarded::Lock(index), put(claim)));
        }
        for (index, vn) in write.delete_locks.iter().enumerate() {
            let removal = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(layout::vn_pk(vn), layout::LOCK)))
                .condition_expression(OWNED_OR_GONE)
                .set_expression_attribute_values(Some(owner_values()));
            transaction.push((Guarded::LockRemoval(index), delete(removal)));
        }

        for (index, vn) in write.newly_claimed.iter().enumerate() {
            if write.put_locks.iter().any(|lock| &lock.vn == vn) {
                continue; // claimed exclusively: the lock's own put guards it
            }
            // A shared claim must respect an exclusive hold: sessions written under another
            // ALLOCATION_POLICY (a policy switch, or a rolling deploy) share the table.
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key(layout::vn_pk(vn), layout::LOCK)))
                .condition_expression(CLAIMABLE)
                .set_expression_attribute_values(Some(claim_values()))
                .build()
                .expect("condition check has a table, key and condition");
            transaction.push((
                Guarded::NotLocked(index),
                TransactWriteItem::builder().condition_check(check).build(),
            ));
        }
        for (index, vn) in write.newly_claimed.iter().enumerate() {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key(layout::vn_pk(vn), layout::META)))
                .condition_expression(ALLOCATABLE)
                .expression_attribute_names("#health", attr::HEALTH)
                .expression_attribute_names("#state", attr::POOL_STATE)
                .expression_attribute_values(":healthy", s(Health::Healthy.as_str()))
                .expression_attribute_values(":active", s(PoolState::Active.as_str()))
                .build()
                .expect("condition check has a table, key and condition");
            transaction.push((
                Guarded::Allocatable(index),
                TransactWriteItem::builder().condition_check(check).build(),
            ));
        }

        if let Some(vn) = &write.moved_off {
            let mut note = key(layout::vn_pk(vn), layout::moved_sk(&session.order_id));
            note.insert(attr::ORDER_ID.into(), order.clone());
            note.insert(attr::VN.into(), s(vn.as_str()));
            if let Some(region) = &session.region {
                // Listed by region, so the scheduled refill can announce moves nobody retried.
                note.insert(layout::GSI1_PK.into(), s(layout::moves_gsi_pk(region)));
                note.insert(layout::GSI1_SK.into(), s(layout::moves_gsi_sk(now)));
            }
            note.insert(
                layout::TTL.into(),
                n(now.timestamp() + layout::MOVED_RETENTION_SECONDS),
            );
            let put_note = Put::builder().table_name(&self.table).set_item(Some(note));
            transaction.push((Guarded::Note, put(put_note)));
        }

        let (guards, items): (Vec<_>, Vec<_>) = transaction.into_iter().unzip();
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

/// The (binding index, VN, older key) items to check for a write's new bindings: one per older
/// listed hash key of each caller, except items the transaction already writes or removes
/// (DynamoDB refuses two operations on one item in a transaction, and those are ours).
fn older_key_checks(write: &SessionWrite) -> Vec<(usize, &VirtualNumber, &CallerKey)> {
    let touched: HashSet<(&VirtualNumber, &CallerKey)> = write
        .put_bindings
        .iter()
        .map(|b| (&b.vn, &b.caller_key))
        .chain(write.delete_bindings.iter().map(|b| (&b.vn, &b.caller_key)))
        .collect();
    let mut checks = Vec::new();
    let mut seen = HashSet::new();
    for (index, binding) in write.put_bindings.iter().enumerate() {
        for older in &binding.older_caller_keys {
            let item = (&binding.vn, older);
            if !touched.contains(&item) && seen.insert(item) {
                checks.push((index, &binding.vn, older));
            }
        }
    }
    checks
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
                    Guarded::Session | Guarded::Note => WriteRejected::SessionChanged,
                    Guarded::BindingRemoval(i) => {
                        WriteRejected::BindingNotOurs(write.delete_bindings[*i].clone())
                    }
                    Guarded::LockRemoval(i) => {
                        WriteRejected::LockNotOurs(write.delete_locks[*i].clone())
                    }
                    Guarded::NotLocked(i) => WriteRejected::LockTaken {
                        vn: write.newly_claimed[*i].clone(),
                    },
                    Guarded::Binding(i) | Guarded::BindingUnderOlderKey(i) => {
                        WriteRejected::BindingTaken {
                            side: write.put_bindings[*i].caller_side,
                            vn: write.put_bindings[*i].vn.clone(),
                        }
                    }
                    Guarded::Lock(i) => WriteRejected::LockTaken {
                        vn: write.put_locks[*i].vn.clone(),
                    },
                    Guarded::Allocatable(i) => WriteRejected::NumberUnavailable {
                        vn: write.newly_claimed[*i].clone(),
                    },
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
            },
            expected_version: None,
            put_bindings: Vec::new(),
            delete_bindings: Vec::new(),
            put_locks: Vec::new(),
            delete_locks: Vec::new(),
            newly_claimed: Vec::new(),
            moved_off: None,
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
