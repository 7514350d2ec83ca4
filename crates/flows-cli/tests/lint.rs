//! `flows lint` run as the built binary on real Flow JSON: the repository's flows, and broken copies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use common::{flows, run, temp_dir};
use serde_json::Value;

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn lint(args: &[&str]) -> common::Run {
    run(flows().arg("lint").args(args))
}

/// The sample flow with one text replaced (the replaced text must be there exactly once).
fn sample_with(dir: &Path, name: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo_file("examples/sample-flow/flow.json")).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from}");
    let path = dir.join(name);
    std::fs::write(&path, text.replace(from, to)).unwrap();
    path
}

/// 1-based line and column (in characters) of the first `needle` in the file.
fn position_of(path: &Path, needle: &str) -> (usize, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let at = text.find(needle).unwrap();
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, column)
}

#[test]
fn the_repository_flows_lint_clean() {
    let sample = repo_file("examples/sample-flow/flow.json");
    let appointments = repo_file("examples/appointments/flow.json");
    let done = lint(&[
        sample.to_str().unwrap(),
        appointments.to_str().unwrap(),
        "--deny-warnings",
    ])
    .expect_code(0);
    assert_eq!(done.stdout.trim(), "0 errors, 0 warnings in 2 files");
}

#[test]
fn an_error_prints_the_position_the_source_line_and_a_caret_and_exits_1() {
    let dir = temp_dir("lint-error");
    // Two screens with the same id: Meta's DUPLICATE_SCREEN_IDS.
    let text = std::fs::read_to_string(repo_file("examples/sample-flow/flow.json")).unwrap();
    let flow: Value = serde_json::from_str(&text).unwrap();
    let first = flow["screens"][0]["id"].as_str().unwrap().to_owned();
    let second = flow["screens"][1]["id"].as_str().unwrap().to_owned();
    let broken = sample_with(
        &dir,
        "broken.json",
        &format!("\"id\": \"{second}\""),
        &format!("\"id\": \"{first}\""),
    );
    let done = lint(&[broken.to_str().unwrap()]).expect_code(1);
    // The second occurrence of the first id is the duplicate.
    let replaced = std::fs::read_to_string(&broken).unwrap();
    let needle = format!("\"id\": \"{first}\"");
    let at = replaced.find(&needle).unwrap() + 1;
    let second_at = at + replaced[at..].find(&needle).unwrap();
    let before = &replaced[..second_at];
    let line = before.matches('\n').count() + 1;
    let source_line = replaced.lines().nth(line - 1).unwrap();
    let header = format!("{}:{line}:", broken.display());
    let found = done
        .stdout
        .lines()
        .position(|l| l.starts_with(&header) && l.contains("error[duplicate-screen-id]: "))
        .unwrap_or_else(|| panic!("{}", done.stdout));
    let lines: Vec<&str> = done.stdout.lines().collect();
    let column: usize = lines[found][header.len()..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // The column is the `id` key or its value on that line.
    let key_column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    assert!(
        column == key_column || column == key_column + "\"id\": ".len(),
        "{}",
        done.stdout
    );
    assert_eq!(lines[found + 1], "  = at: /screens/1/id");
    let gutter = " ".repeat(line.to_string().len());
    assert_eq!(lines[found + 2], format!("{gutter} |"));
    assert_eq!(lines[found + 3], format!("{line} | {source_line}"));
    let pad: String = source_line
        .chars()
        .take(column - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    assert_eq!(lines[found + 4], format!("{gutter} | {pad}^"));
    let errors = lines.iter().filter(|l| l.contains(": error[")).count();
    assert_eq!(
        lines.last().copied(),
        Some(format!("{errors} errors, 0 warnings in 1 file").as_str())
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_caret_follows_tabs_and_wide_characters() {
    let dir = temp_dir("lint-tabs");
    let path = dir.join("tabs.json");
    std::fs::write(
        &path,
        "{\n\t\"version\": \"7.3\",\n\t\"screens\": [{\"id\": \"DEJA_VU\", \"title\": \"Déjà vu ✓\", \"bogus\": true, \"terminal\": true,\n\t\t\"layout\": {\"type\": \"SingleColumnLayout\", \"children\": [\n\t\t\t{\"type\": \"Footer\", \"label\": \"Done\", \"on-click-action\": {\"name\": \"complete\"}}]}}]\n}\n",
    )
    .unwrap();
    let done = lint(&[path.to_str().unwrap()]).expect_code(1);
    let (line, column) = position_of(&path, "\"bogus\"");
    let header = format!(
        "{}:{line}:{column}: error[unknown-property]: ",
        path.display(),
    );
    let lines: Vec<&str> = done.stdout.lines().collect();
    let found = lines
        .iter()
        .position(|l| l.starts_with(&header))
        .unwrap_or_else(|| panic!("{header}\n{}", done.stdout));
    assert_eq!(lines[found + 1], "  = at: /screens/0/bogus");
    // One tab, then one space per character (not per byte) up to the key.
    assert_eq!(
        lines[found + 4],
        format!("  | \t{}^", " ".repeat(column - 2))
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn json_output_is_one_array_of_findings() {
    let dir = temp_dir("lint-json");
    let broken = sample_with(&dir, "broken.json", "\"version\": \"", "\"version\": \"v");
    let sample = repo_file("examples/sample-flow/flow.json");
    let done = lint(&[sample.to_str().unwrap(), broken.to_str().unwrap(), "--json"]).expect_code(1);
    let all: Value = serde_json::from_str(&done.stdout).unwrap();
    let all = all.as_array().unwrap();
    assert!(!all.is_empty());
    for d in all {
        let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = [
            "file", "line", "column", "pointer", "rule", "severity", "message",
        ];
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(d["file"], broken.to_str().unwrap());
    }
    let version = all
        .iter()
        .find(|d| d["pointer"] == "/version")
        .unwrap_or_else(|| panic!("{}", done.stdout));
    let (line, column) = position_of(&broken, "\"version\"");
    assert_eq!(version["severity"], "error");
    assert_eq!(version["line"], line);
    assert!(version["column"].as_u64().unwrap() >= column as u64);
    assert!(version["rule"].as_str().unwrap().contains("version"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn deny_warnings_makes_a_warning_only_file_fail() {
    let dir = temp_dir("lint-warn");
    let text = std::fs::read_to_string(repo_file("examples/sample-flow/flow.json")).unwrap();
    let mut flow: Value = serde_json::from_str(&text).unwrap();
    // A screen without a title: allowed by Meta's documentation, rejected by the client schema.
    flow["screens"][0].as_object_mut().unwrap().remove("title");
    let path = dir.join("warn.json");
    std::fs::write(&path, serde_json::to_string_pretty(&flow).unwrap()).unwrap();
    let done = lint(&[path.to_str().unwrap()]).expect_code(0);
    assert!(
        done.stdout.contains("warning[missing-title]")
            && done.stdout.contains("0 errors, 1 warning"),
        "{}",
        done.stdout
    );
    let denied = lint(&[path.to_str().unwrap(), "--deny-warnings"]).expect_code(1);
    assert!(
        denied.stdout.contains("error[missing-title]")
            && denied.stdout.contains("1 error, 0 warnings"),
        "{}",
        denied.stdout
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_file_that_is_not_json_exits_2_with_line_and_column() {
    let dir = temp_dir("lint-syntax");
    let path = dir.join("syntax.json");
    std::fs::write(&path, "{\n  \"version\": \"7.3\",\n  \"screens\": [}\n").unwrap();
    let done = lint(&[path.to_str().unwrap()]).expect_code(2);
    assert!(
        done.stdout.contains(&format!(
            "{}:3:15: error[json-syntax]: not valid JSON: expected value\n  |\n3 |   \"screens\": [}}\n  |               ^",
            path.display()
        )),
        "{}",
        done.stdout
    );
    let json = lint(&[path.to_str().unwrap(), "--json"]).expect_code(2);
    let all: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        (all[0]["line"].as_u64(), all[0]["column"].as_u64()),
        (Some(3), Some(15))
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_unreadable_path_exits_2_and_the_other_files_are_still_linted() {
    let dir = temp_dir("lint-missing");
    let missing = dir.join("missing.json");
    let sample = repo_file("examples/sample-flow/flow.json");
    let done = lint(&[missing.to_str().unwrap(), sample.to_str().unwrap()]).expect_code(2);
    assert!(
        done.stdout.contains(&format!(
            "{}: error[unreadable]: cannot read the file",
            missing.display()
        )),
        "{}",
        done.stdout
    );
    assert!(
        done.stdout
            .contains("in 2 files (1 file could not be linted)"),
        "{}",
        done.stdout
    );
    // A directory cannot be read as a file either.
    lint(&[dir.to_str().unwrap()]).expect_code(2);
    std::fs::remove_dir_all(dir).ok();
}
