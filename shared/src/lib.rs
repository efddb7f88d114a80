//! Maskline: phone-number masking for marketplaces.
//!
//! Dependencies point down only: `services` use the `ports`; `adapters` implement the ports on AWS;
//! `privacy` and `domain` are pure and know nothing of AWS. A reader looking for the allocation rule
//! opens `domain::policy`; for the table layout, `adapters::dynamodb::layout`.

pub mod adapters;
pub mod app;
pub mod config;
pub mod domain;
pub mod metrics;
pub mod ports;
pub mod privacy;
pub mod providers;
pub mod public_url;
pub mod services;
pub mod startup;
pub mod webhook_config;

#[cfg(test)]
mod layers;
