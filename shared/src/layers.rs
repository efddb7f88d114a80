//! The module graph, checked: dependencies point down only. Each top-level module may name (as
//! `crate::<module>`) only the modules listed for it below; a new arrow back up fails this test
//! with the file that drew it. The pure layers also name no AWS crate.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each module and what it may use, lowest first.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("public_url", &[]),
    ("privacy", &["domain"]),
    ("providers", &["domain", "public_url"]),
    ("metrics", &["domain"]),
    ("ports", &["domain", "privacy"]),
    ("config", &["domain", "privacy"]),
    ("webhook_config", &["domain", "providers", "config"]),
    ("startup", &["config"]),
    (
        "services",
        &[
            "domain",
            "privacy",
            "providers",
            "ports",
            "metrics",
            "public_url",
            "config",
            "webhook_config",
        ],
    ),
    // The HTTP adapter maps the services' outcomes to replies: the one arrow into `services`.
    (
        "adapters",
        &[
            "domain",
            "privacy",
            "providers",
            "ports",
            "metrics",
            "public_url",
            "config",
            "webhook_config",
            "services",
        ],
    ),
    (
        "app",
        &[
            "domain",
            "privacy",
            "providers",
            "ports",
            "public_url",
            "config",
            "webhook_config",
            "services",
            "adapters",
            "startup",
            // `app::run` installs the metrics backend the runtime flushes per invocation.
            "metrics",
        ],
    ),
];

/// Layers that must stay free of AWS: they are what the tests and the planner run without it.
const PURE: &[&str] = &["domain", "privacy", "providers", "ports", "services"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn files_of(module: &str) -> Vec<PathBuf> {
    let dir = src().join(module);
    let mut files = Vec::new();
    if dir.is_dir() {
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
    } else {
        files.push(src().join(format!("{module}.rs")));
    }
    files
}

/// The top-level modules a source text names as `crate::<module>`, outside comments.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for line in text.lines().map(str::trim_start) {
        if line.starts_with("//") {
            continue;
        }
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let module: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !module.is_empty() {
                named.insert(module);
            }
        }
    }
    named
}

#[test]
fn every_module_is_listed() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    for line in lib.lines() {
        if let Some(module) = line.strip_prefix("pub mod ") {
            let module = module.trim_end_matches(';');
            assert!(
                ALLOWED.iter().any(|(m, _)| *m == module),
                "module {module} has no place in the layers: add it to ALLOWED"
            );
        }
    }
}

#[test]
fn dependencies_point_down_only() {
    let mut arrows_back = Vec::new();
    for (module, allowed) in ALLOWED {
        for file in files_of(module) {
            let text = std::fs::read_to_string(&file).unwrap();
            for named in named_modules(&text) {
                if named != *module && !allowed.contains(&named.as_str()) {
                    let file = file.strip_prefix(src()).unwrap().display().to_string();
                    arrows_back.push(format!("{file}: {module} -> {named}"));
                }
            }
        }
    }
    assert!(
        arrows_back.is_empty(),
        "arrows that break the layering:\n{}",
        arrows_back.join("\n")
    );
}

#[test]
fn the_pure_layers_name_no_aws_crate() {
    let mut found = Vec::new();
    for module in PURE {
        for file in files_of(module) {
            let text = std::fs::read_to_string(&file).unwrap();
            if text
                .lines()
                .any(|l| !l.trim_start().starts_with("//") && l.contains("aws_sdk_"))
            {
                found.push(file.strip_prefix(src()).unwrap().display().to_string());
            }
        }
    }
    assert!(found.is_empty(), "AWS in a pure layer: {found:?}");
}

#[test]
fn the_check_sees_an_arrow_back() {
    // The scanner itself: a `use crate::adapters` line is seen, a comment naming it is not.
    let named = named_modules("use crate::adapters::dynamodb;\n// crate::app is only named here");
    assert_eq!(named, BTreeSet::from(["adapters".to_string()]));
}
