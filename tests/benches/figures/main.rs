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
    // `FIGURES=throughput,call_path` measures only those sections (a quicker look at one
    // figure); the others print as "-" and figures.json, which `maskctl plan` reads, is left
    // as the last full run wrote it.
    let chosen = std::env::var("FIGURES")
        .ok()
        .filter(|l| !l.trim().is_empty());
    let wanted = |section: &str| {
        chosen
            .as_deref()
            .is_none_or(|list| list.split(',').any(|s| s.trim() == section))
    };
    let mut figures = json!({
        "machine": report::machine(),
        "measured_at": chrono::Utc::now().to_rfc3339(),
        "store": "DynamoDB Local (in memory) and moto on the same machine",
    });
    if wanted("call_path") {
        figures["call_path"] = call_path::measure().await;
    }
    if wanted("throughput") {
        figures["throughput"] = throughput::measure().await;
    }
    if wanted("hot_agent") {
        figures["hot_agent"] = throughput::hot_agent().await;
    }
    if wanted("allocation_by_pool_size") {
        figures["allocation_by_pool_size"] = scale::measure().await;
    }
    if wanted("per_order") {
        figures["per_order"] = per_order::measure().await;
    }
    if wanted("functions") {
        figures["functions"] = binaries::measure().await;
    }
    report::print(&figures);
    match chosen {
        None => report::write(&figures),
        Some(list) => println!("\nFIGURES={list}: a partial run, figures.json left as it was"),
    }
}
