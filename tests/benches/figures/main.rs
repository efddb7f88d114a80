//! `make bench`: every figure Maskline claims, measured in one run beside the raw DynamoDB call it
//! is built on, printed as a table and written to `target/bench/figures.json`.
//!
//! Everything runs in process against DynamoDB Local (a local JVM, in memory) and moto on the same
//! machine: absolute times say little about AWS, the ratios to the raw calls of the same run say how
//! close Maskline is to its floor, and capacity units are DynamoDB's own accounting.

mod binaries;
mod call_path;
mod per_order;
mod raw_allocation;
mod report;
mod scale;
mod throughput;

use serde_json::json;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut figures = json!({
        "machine": report::machine(),
        "measured_at": chrono::Utc::now().to_rfc3339(),
        "store": "DynamoDB Local (in memory) and moto on the same machine",
    });
    figures["call_path"] = call_path::measure().await;
    figures["throughput"] = throughput::measure().await;
    figures["hot_agent"] = throughput::hot_agent().await;
    figures["allocation_by_pool_size"] = scale::measure().await;
    figures["per_order"] = per_order::measure().await;
    figures["functions"] = binaries::measure().await;
    report::print(&figures);
    report::write(&figures);
}
