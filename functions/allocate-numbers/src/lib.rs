//! `allocate-numbers`: SQS batches of EventBridge `DriverAssigned` events -> masked numbers.
pub mod handler;
