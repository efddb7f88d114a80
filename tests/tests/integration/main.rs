//! Integration tests: one binary, every test against DynamoDB Local (a fresh table each) and moto
//! (a fresh bus and queue each). Run them with `make test`.

mod announcements;
mod backups;
mod bad_input;
mod call_log;
mod call_path_failure;
mod click_to_call;
mod concurrency;
mod deployed_template;
mod exclusive;
mod failover;
mod foreign_removals;
mod idempotency;
mod late_reports;
mod lifecycle;
mod local_dev;
mod log_privacy;
mod ordering;
mod oversized_webhooks;
mod provider_apis;
mod published_events;
mod reassignment;
mod redelivery;
mod refill;
mod regions;
mod release_race;
mod replays;
mod sample_events;
mod scale;
mod secrets;
mod signatures;
mod support;
mod suspect;
mod template_table;
mod webhook_isolation;
mod webhooks;
