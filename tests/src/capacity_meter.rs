//! Counts the read and write units every DynamoDB request of a client consumes, as DynamoDB
//! reports them (`ReturnConsumedCapacity=TOTAL`, set on each request by an SDK interceptor), so a
//! benchmark can say what an order costs without the code under test knowing it is measured.
//!
//! DynamoDB also bills what it does not report: a conditional write whose condition fails still
//! consumes write units (the item's size, at least one) and its error carries no
//! `ConsumedCapacity`. Those are estimated from the request itself (see [`FailedWriteCost`]) and
//! counted apart as well, so a figure shows how much of it is estimate.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemInput, BatchGetItemOutput},
    batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput},
    delete_item::{DeleteItemError, DeleteItemInput, DeleteItemOutput},
    get_item::{GetItemInput, GetItemOutput},
    put_item::{PutItemError, PutItemInput, PutItemOutput},
    query::{QueryInput, QueryOutput},
    scan::{ScanInput, ScanOutput},
    transact_write_items::{
        TransactWriteItemsError, TransactWriteItemsInput, TransactWriteItemsOutput,
    },
    update_item::{UpdateItemError, UpdateItemInput, UpdateItemOutput},
};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use aws_smithy_types::config_bag::{Storable, StoreReplace};

use crate::item_size::write_units;

/// Read and write units so far (thousandths, summed atomically).
#[derive(Debug, Default)]
pub struct CapacityMeter {
    read_milli: AtomicU64,
    write_milli: AtomicU64,
    requests: AtomicU64,
    /// Conditional writes (and cancelled transactions) DynamoDB refused, and the write units
    /// estimated for them (thousandths), already included in `write_milli`.
    failed_writes: AtomicU64,
    failed_write_milli: AtomicU64,
}

/// One reading of a meter.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Units {
    pub read: f64,
    pub write: f64,
    pub requests: u64,
    /// Refused conditional writes and cancelled transactions, and the write units estimated for
    /// them (part of `write`).
    pub failed_writes: u64,
    pub failed_write_units: f64,
}

impl std::ops::Sub for Units {
    type Output = Units;
    fn sub(self, before: Units) -> Units {
        Units {
            read: self.read - before.read,
            write: self.write - before.write,
            requests: self.requests - before.requests,
            failed_writes: self.failed_writes - before.failed_writes,
            failed_write_units: self.failed_write_units - before.failed_write_units,
        }
    }
}

impl CapacityMeter {
    pub fn units(&self) -> Units {
        Units {
            read: self.read_milli.load(Ordering::Relaxed) as f64 / 1000.0,
            write: self.write_milli.load(Ordering::Relaxed) as f64 / 1000.0,
            requests: self.requests.load(Ordering::Relaxed),
            failed_writes: self.failed_writes.load(Ordering::Relaxed),
            failed_write_units: self.failed_write_milli.load(Ordering::Relaxed) as f64 / 1000.0,
        }
    }

    fn add_failed_write(&self, cost: FailedWriteCost) {
        let milli = (cost.0 * 1000.0).round() as u64;
        self.failed_writes.fetch_add(1, Ordering::Relaxed);
        self.failed_write_milli.fetch_add(milli, Ordering::Relaxed);
        self.write_milli.fetch_add(milli, Ordering::Relaxed);
    }

    fn add(&self, consumed: &ConsumedCapacity) {
        let milli = |u: Option<f64>| (u.unwrap_or(0.0) * 1000.0).round() as u64;
        let read = consumed.read_capacity_units();
        let write = consumed.write_capacity_units();
        if read.is_none() && write.is_none() {
            // Only a total is reported: a read or a write by the operation's kind (see below).
            return;
        }
        self.read_milli.fetch_add(milli(read), Ordering::Relaxed);
        self.write_milli.fetch_add(milli(write), Ordering::Relaxed);
    }

    fn add_total(&self, consumed: &ConsumedCapacity, is_write: bool) {
        if consumed.read_capacity_units().is_some() || consumed.write_capacity_units().is_some() {
            return self.add(consumed);
        }
        let milli = (consumed.capacity_units().unwrap_or(0.0) * 1000.0).round() as u64;
        if is_write {
            self.write_milli.fetch_add(milli, Ordering::Relaxed);
        } else {
            self.read_milli.fetch_add(milli, Ordering::Relaxed);
        }
    }
}

/// The interceptor: asks every request for its consumed capacity and adds it to the meter.
#[derive(Debug, Clone)]
pub struct Metering(pub Arc<CapacityMeter>);

impl Intercept for Metering {
    fn name(&self) -> &'static str {
        "CapacityMetering"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        let total = Some(ReturnConsumedCapacity::Total);
        if let Some(cost) = FailedWriteCost::of(input) {
            config.interceptor_state().store_put(cost);
        }
        if let Some(i) = input.downcast_mut::<GetItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<QueryInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<ScanInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<PutItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<UpdateItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<DeleteItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<TransactWriteItemsInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<BatchGetItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<BatchWriteItemInput>() {
            i.return_consumed_capacity = total;
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let meter = &self.0;
        let output = match context.output_or_error() {
            Ok(output) => output,
            Err(error) => {
                meter.requests.fetch_add(1, Ordering::Relaxed);
                let refused = error
                    .as_operation_error()
                    .is_some_and(is_refused_conditional_write);
                if let (true, Some(cost)) = (refused, config.load::<FailedWriteCost>()) {
                    meter.add_failed_write(*cost);
                }
                return Ok(());
            }
        };
        meter.requests.fetch_add(1, Ordering::Relaxed);
        let one = |c: Option<&ConsumedCapacity>| c.into_iter().cloned().collect::<Vec<_>>();
        let (consumed, is_write): (Vec<ConsumedCapacity>, bool) =
            if let Some(o) = output.downcast_ref::<GetItemOutput>() {
                (one(o.consumed_capacity()), false)
            } else if let Some(o) = output.downcast_ref::<QueryOutput>() {
                (one(o.consumed_capacity()), false)
            } else if let Some(o) = output.downcast_ref::<ScanOutput>() {
                (one(o.consumed_capacity()), false)
            } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
                (o.consumed_capacity().to_vec(), false)
            } else if let Some(o) = output.downcast_ref::<PutItemOutput>() {
                (one(o.consumed_capacity()), true)
            } else if let Some(o) = output.downcast_ref::<UpdateItemOutput>() {
                (one(o.consumed_capacity()), true)
            } else if let Some(o) = output.downcast_ref::<DeleteItemOutput>() {
                (one(o.consumed_capacity()), true)
            } else if let Some(o) = output.downcast_ref::<TransactWriteItemsOutput>() {
                (o.consumed_capacity().to_vec(), true)
            } else if let Some(o) = output.downcast_ref::<BatchWriteItemOutput>() {
                (o.consumed_capacity().to_vec(), true)
            } else {
                (Vec::new(), false)
            };
        for c in &consumed {
            meter.add_total(c, is_write);
        }
        Ok(())
    }
}

/// What a write would be billed if DynamoDB refused it, estimated before it is sent (the error
/// reports nothing): a refused conditional write costs the item's size in write units, at least
/// one — the size of the item sent for a put, one unit for an update or delete (their item is not
/// in the request). A cancelled transaction is counted as its prepare phase, one write of each
/// item (half of the two a committed transaction is billed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailedWriteCost(pub f64);

impl Storable for FailedWriteCost {
    type Storer = StoreReplace<Self>;
}

impl FailedWriteCost {
    fn of(input: &aws_smithy_runtime_api::client::interceptors::context::Input) -> Option<Self> {
        let units = if let Some(i) = input.downcast_ref::<PutItemInput>() {
            i.condition_expression.as_ref()?;
            write_units(i.item.as_ref()?)
        } else if let Some(i) = input.downcast_ref::<UpdateItemInput>() {
            i.condition_expression.as_ref()?;
            1.0
        } else if let Some(i) = input.downcast_ref::<DeleteItemInput>() {
            i.condition_expression.as_ref()?;
            1.0
        } else if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
            i.transact_items
                .iter()
                .flatten()
                .map(|action| action.put().map_or(1.0, |put| write_units(put.item())))
                .sum()
        } else {
            return None;
        };
        Some(FailedWriteCost(units))
    }
}

/// A conditional write DynamoDB refused (and billed): a failed condition, or a cancelled
/// transaction.
fn is_refused_conditional_write(
    error: &aws_smithy_runtime_api::client::interceptors::context::Error,
) -> bool {
    if let Some(e) = error.downcast_ref::<PutItemError>() {
        e.is_conditional_check_failed_exception()
    } else if let Some(e) = error.downcast_ref::<UpdateItemError>() {
        e.is_conditional_check_failed_exception()
    } else if let Some(e) = error.downcast_ref::<DeleteItemError>() {
        e.is_conditional_check_failed_exception()
    } else if let Some(e) = error.downcast_ref::<TransactWriteItemsError>() {
        e.is_transaction_canceled_exception()
    } else {
        false
    }
}

/// A DynamoDB client whose every request is metered into the returned meter.
pub fn metered_client(
    config: &aws_config::SdkConfig,
) -> (aws_sdk_dynamodb::Client, Arc<CapacityMeter>) {
    let meter = Arc::new(CapacityMeter::default());
    let conf = aws_sdk_dynamodb::config::Builder::from(config)
        .interceptor(Metering(meter.clone()))
        .build();
    (aws_sdk_dynamodb::Client::from_conf(conf), meter)
}
