//! `announce`: the table's stream (an event source mapping) -> the session events, in order.
pub mod handler;
