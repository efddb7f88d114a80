//! Every committed fuzz input (`tests/fuzz/corpus/<target>/*`), replayed through the same entry
//! point its fuzz target runs (`maskline-entry-points`), on stable Rust: what the fuzzer once
//! explored keeps passing in CI, and an input saved from a crash (put it in the corpus) stays a
//! regression test. No services needed.

use std::path::{Path, PathBuf};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus")
}

#[test]
fn every_committed_fuzz_input_passes_its_target_entry_point() {
    let mut replayed = 0;
    let mut failing = Vec::new();
    let mut folders: Vec<PathBuf> = std::fs::read_dir(corpus_root())
        .expect("tests/fuzz/corpus is readable")
        .map(|entry| entry.expect("a corpus folder").path())
        .collect();
    folders.sort();
    for folder in folders {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        // A corpus without its entry point here would guard nothing.
        let target = maskline_entry_points::target(&name)
            .unwrap_or_else(|| panic!("corpus {name} has no entry point in maskline-entry-points"));
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        inputs.sort();
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                failing.push(input.display().to_string());
            }
            replayed += 1;
        }
    }
    assert!(
        failing.is_empty(),
        "{} input(s) fail their target (each panic is printed above):\n{}",
        failing.len(),
        failing.join("\n")
    );
    assert!(
        replayed >= maskline_entry_points::TARGETS.len(),
        "only {replayed} corpus input(s) found under {}",
        corpus_root().display()
    );
    println!("{replayed} fuzz inputs replayed");
}

#[test]
fn every_fuzz_target_has_a_corpus_to_replay() {
    for (name, _) in maskline_entry_points::TARGETS {
        let folder = corpus_root().join(name);
        let inputs = std::fs::read_dir(&folder).map_or(0, |d| d.count());
        assert!(inputs > 0, "{} holds no input", folder.display());
    }
}
