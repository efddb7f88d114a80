//! `release-numbers`: SQS batches of `OrderDelivered` / `OrderCancelled` -> sessions released.
pub mod handler;
