//! `make bench`: every figure Maskline claims, measured in one run beside the raw DynamoDB call it
//! is built on, printed as a table and written to `target/bench/figures.json`. `make bench` runs
//! this binary once per section (`FIGURES=<section> FIGURES_PART=<file>`), each against services
//! of its own, then once more to gather the parts (`FIGURES_PARTS=<dir>`); run alone under
//! `cargo bench`, it measures every chosen section against the services of its environment.
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

/// The sections in the order `make bench` measures them, each against a DynamoDB Local and moto of
/// its own (see `infra/local/bench.sh`): DynamoDB Local answers more slowly for the rest of its
/// life once tens of thousands of items have been written to stream-enabled tables — every write
/// reads the stream's description, which grows with each earlier write, tables deleted or not —
/// so one order measured after the pool-size section took nine times its own handler time.
const SECTIONS: [&str; 6] = [
    "call_path",
    "per_order",
    "hot_agent",
    "functions",
    "throughput",
    "allocation_by_pool_size",
];

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `FIGURES=throughput,call_path` measures only those sections (a quicker look at one
    // figure); the others print as "-" and figures.json, which `maskctl plan` reads, is left
    // as the last full run wrote it.
    let chosen = std::env::var("FIGURES")
        .ok()
        .filter(|l| !l.trim().is_empty());
    let mut figures = json!({
        "machine": report::machine(),
        "measured_at": chrono::Utc::now().to_rfc3339(),
        "store": "DynamoDB Local (in memory) and moto on the same machine, started afresh for each section",
    });
    match std::env::var_os("FIGURES_PARTS") {
        // The run that gathers what each section's run wrote, prints and writes it.
        Some(dir) => gather(&mut figures, std::path::Path::new(&dir)),
        None => {
            for section in SECTIONS {
                let wanted = chosen
                    .as_deref()
                    .is_none_or(|list| list.split(',').any(|s| s.trim() == section));
                if wanted {
                    figures[section] = measure(section).await;
                }
            }
        }
    }
    // A section's run (`FIGURES_PART=<file>`) leaves its figures for the gathering run.
    if let Some(part) = std::env::var_os("FIGURES_PART") {
        std::fs::write(&part, figures.to_string()).expect("write the section's figures");
        return;
    }
    report::print(&figures);
    match chosen {
        None => report::write(&figures),
        Some(list) => println!("\nFIGURES={list}: a partial run, figures.json left as it was"),
    }
}

async fn measure(section: &str) -> serde_json::Value {
    match section {
        "call_path" => call_path::measure().await,
        "per_order" => per_order::measure().await,
        "hot_agent" => throughput::hot_agent().await,
        "functions" => binaries::measure().await,
        "throughput" => throughput::measure().await,
        "allocation_by_pool_size" => scale::measure().await,
        other => unreachable!("{other} is not one of SECTIONS"),
    }
}

/// Every section found in the parts' files, each run's own figures under its name.
fn gather(figures: &mut serde_json::Value, dir: &std::path::Path) {
    for section in SECTIONS {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("{section}.json"))) else {
            continue;
        };
        let part: serde_json::Value =
            serde_json::from_str(&text).expect("a section's figures are JSON");
        figures[section] = part[section].clone();
    }
}
