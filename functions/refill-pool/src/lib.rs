//! refill-pool: the schedule refills every region; `PoolExhausted` and `OrderPlaced` events
//! (through their SQS queue) refill the region they name, at once.
pub mod handler;
