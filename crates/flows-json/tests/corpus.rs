//! Every flow of the corpus of real, published Flow JSON (tests/corpus, sources in its README) and
//! the repository's own flows lint with no error and no false-positive warning.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use flows_json::{Document, Rule, Version};

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
    assert!(files.len() >= 30, "the corpus has {} files", files.len());
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
