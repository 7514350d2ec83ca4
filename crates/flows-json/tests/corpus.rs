//! Every flow of the corpus of real, published Flow JSON (tests/corpus, sources in its README) and
//! the repository's own flows lint with no error and no false-positive warning.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use std::collections::BTreeSet;

use flows_json::{ComponentKind, Document, Rule, Version};

/// Warnings the corpus is expected to produce, each a true finding: (file, rule, pointer, why).
const EXPECTED: &[(&str, &str, &str, &str)] = &[(
    "pywa/v2_1-sign_in.json",
    "text-too-long",
    "/screens/0/layout/children/0/children/2/text",
    "Meta's 2.1 sign-in template has a 30-character EmbeddedLink text; the documented limit is 25",
)];

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            corpus_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn the_corpus_lints_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files = Vec::new();
    corpus_files(&root, &mut files);
    files.sort();
    assert_eq!(files.len(), 39, "the README lists 39 files");
    let mut problems = Vec::new();
    let mut expected_seen = 0;
    for path in &files {
        let name = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(path).unwrap();
        let doc = Document::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let frozen = doc
            .flow()
            .version()
            .and_then(Version::frozen_since)
            .is_some();
        for d in doc.diagnostics() {
            // True: those versions can no longer be published.
            if d.rule == Rule::FrozenVersion && frozen && d.pointer == "/version" {
                continue;
            }
            if EXPECTED.iter().any(|(file, rule, pointer, _)| {
                *file == name && *rule == d.rule.id() && *pointer == d.pointer
            }) {
                expected_seen += 1;
                continue;
            }
            problems.push(format!(
                "{name}:{}:{}: {}[{}]: {} ({})",
                d.line().unwrap_or(0),
                d.column().unwrap_or(0),
                d.severity,
                d.rule,
                d.message,
                d.pointer
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} findings in real flows:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(expected_seen, EXPECTED.len(), "an expected finding is gone");
}

#[test]
fn the_repository_flows_lint_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for flow in [
        "examples/sample-flow/flow.json",
        "examples/appointments/flow.json",
    ] {
        let diagnostics =
            flows_json::lint(&std::fs::read_to_string(root.join(flow)).unwrap()).unwrap();
        assert_eq!(diagnostics, vec![], "{flow}");
    }
}

fn pointers(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                pointers(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Real flows with one value replaced by something of another shape: the linter reports, it never
/// panics, and every finding has a position.
#[test]
fn broken_real_flows_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files = Vec::new();
    corpus_files(&root, &mut files);
    files.sort();
    let replacements = [
        serde_json::json!(null),
        serde_json::json!(7),
        serde_json::json!("`${data.x"),
        serde_json::json!([{}]),
        serde_json::json!({"type": "If"}),
    ];
    let mut runs = 0;
    for path in &files {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        let stride = (all.len() / 40).max(1);
        for (n, pointer) in all.iter().enumerate().step_by(stride) {
            let mut broken = value.clone();
            if let Some(slot) = broken.pointer_mut(pointer) {
                *slot = replacements[n % replacements.len()].clone();
            }
            let text = serde_json::to_string_pretty(&broken).unwrap();
            let diagnostics = flows_json::lint(&text).unwrap();
            assert!(
                diagnostics.iter().all(|d| d.line().is_some()),
                "{}: {pointer}",
                path.display()
            );
            runs += 1;
        }
    }
    assert!(runs > 1000, "{runs}");
}

/// Components no file of the corpus has (the README says so, and why).
const NOT_COVERED_COMPONENTS: &[&str] = &[];
/// Flow JSON versions from 3.x on that no file of the corpus has (the README says so).
const NOT_COVERED_VERSIONS: &[&str] = &["3.0"];

/// Every `type` string and every action `name` anywhere in a value.
fn kinds(value: &serde_json::Value, types: &mut BTreeSet<String>, actions: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Array(items) => {
            for v in items {
                kinds(v, types, actions);
            }
        }
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(kind)) = map.get("type") {
                types.insert(kind.clone());
            }
            for (key, v) in map {
                if key.starts_with("on-")
                    && key.ends_with("-action")
                    && let Some(name) = v.get("name").and_then(serde_json::Value::as_str)
                {
                    actions.insert(name.to_owned());
                }
                kinds(v, types, actions);
            }
        }
        _ => {}
    }
}

/// The README's coverage claims hold: every component but those it names as missing, every
/// action, and every version from 3.x to 7.3 but those it names as missing.
#[test]
fn the_corpus_covers_what_its_readme_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files = Vec::new();
    corpus_files(&root, &mut files);
    let (mut types, mut actions, mut versions) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for path in &files {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        kinds(&value, &mut types, &mut actions);
        if let Some(version) = value.get("version").and_then(serde_json::Value::as_str) {
            versions.insert(version.to_owned());
        }
    }
    for kind in ComponentKind::ALL {
        let name = kind.as_str();
        assert_eq!(
            types.contains(name),
            !NOT_COVERED_COMPONENTS.contains(&name),
            "{name}: the corpus README's coverage is out of date"
        );
    }
    for action in [
        "navigate",
        "data_exchange",
        "complete",
        "update_data",
        "open_url",
    ] {
        assert!(actions.contains(action), "no file has the action {action}");
    }
    for version in [
        "3.0", "3.1", "4.0", "5.0", "5.1", "6.0", "6.1", "6.2", "6.3", "7.0", "7.1", "7.2", "7.3",
    ] {
        assert_eq!(
            versions.contains(version),
            !NOT_COVERED_VERSIONS.contains(&version),
            "version {version}: the corpus README's coverage is out of date"
        );
    }
}
