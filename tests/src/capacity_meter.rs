//! Counts the read and write units every DynamoDB request of a client consumes, as DynamoDB
//! reports them (`ReturnConsumedCapacity=TOTAL`, set on each request by an SDK interceptor), so a
//! benchmark can say what an order costs without the code under test knowing it is measured.

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
    delete_item::{DeleteItemInput, DeleteItemOutput},
    get_item::{GetItemInput, GetItemOutput},
    put_item::{PutItemInput, PutItemOutput},
    query::{QueryInput, QueryOutput},
    transact_write_items::{TransactWriteItemsInput, TransactWriteItemsOutput},
    update_item::{UpdateItemInput, UpdateItemOutput},
};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};

/// Read and write units so far (thousandths, summed atomically).
#[derive(Debug, Default)]
pub struct CapacityMeter {
    read_milli: AtomicU64,
    write_milli: AtomicU64,
    requests: AtomicU64,
}

/// One reading of a meter.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Units {
    pub read: f64,
    pub write: f64,
    pub requests: u64,
}

impl std::ops::Sub for Units {
    type Output = Units;
    fn sub(self, before: Units) -> Units {
        Units {
            read: self.read - before.read,
            write: self.write - before.write,
            requests: self.requests - before.requests,
        }
    }
}

impl CapacityMeter {
    pub fn units(&self) -> Units {
        Units {
            read: self.read_milli.load(Ordering::Relaxed) as f64 / 1000.0,
            write: self.write_milli.load(Ordering::Relaxed) as f64 / 1000.0,
            requests: self.requests.load(Ordering::Relaxed),
        }
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
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        let total = Some(ReturnConsumedCapacity::Total);
        if let Some(i) = input.downcast_mut::<GetItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<QueryInput>() {
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
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        let meter = &self.0;
        meter.requests.fetch_add(1, Ordering::Relaxed);
        let one = |c: Option<&ConsumedCapacity>| c.into_iter().cloned().collect::<Vec<_>>();
        let (consumed, is_write): (Vec<ConsumedCapacity>, bool) =
            if let Some(o) = output.downcast_ref::<GetItemOutput>() {
                (one(o.consumed_capacity()), false)
            } else if let Some(o) = output.downcast_ref::<QueryOutput>() {
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
