//! `flows lint FLOW_JSON...`: Flow JSON checked locally, the way Meta validates it, printed the way
//! rustc and eslint print (through [`crate::lint_gate`], the printer `flow create`/`upload` share).

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use crate::error::{Exit, Failure};
use crate::lint_gate::{self, Diagnostic, NotJson, Severity};

/// `flows lint`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  flows lint flow.json
  flows lint flows/*.json --deny-warnings
  flows lint flow.json --json | jq '.[] | select(.severity == \"error\")'

Each finding is printed as FILE:LINE:COL: error[RULE]: message, with the JSON pointer and the source
line. --json prints one JSON array of {file, line, column, pointer, rule, severity, message} instead.

Exit status 0 when no file has an error (warnings allowed), 1 when any file has an error,
2 when a file cannot be read or is not JSON.")]
pub(crate) struct LintArgs {
    /// The Flow JSON files.
    #[arg(value_name = "FLOW_JSON", required = true)]
    files: Vec<PathBuf>,

    /// Print one JSON array of every finding on stdout (for editors and CI).
    #[arg(long)]
    json: bool,

    /// Count warnings as errors (they are then shown and exit as errors).
    #[arg(long)]
    deny_warnings: bool,
}

/// What linting one file gave.
struct Linted {
    file: String,
    /// The text, when the file could be read.
    text: Option<String>,
    diagnostics: Vec<Diagnostic>,
    /// The file could not be read or is not JSON.
    unusable: bool,
}

/// Lints every file, prints the findings and a summary; exit 0/1/2 as documented.
pub(crate) fn run(args: &LintArgs) -> Result<Exit, Failure> {
    let linted: Vec<Linted> = args
        .files
        .iter()
        .map(|path| lint_file(path, args.deny_warnings))
        .collect();
    if args.json {
        let all: Vec<Value> = linted
            .iter()
            .flat_map(|l| l.diagnostics.iter().map(|d| as_json(&l.file, d)))
            .collect();
        let text = serde_json::to_string_pretty(&Value::Array(all))
            .map_err(|e| Failure::local(format!("cannot encode the findings: {e}")))?;
        println!("{text}");
    } else {
        for l in &linted {
            print!(
                "{}",
                lint_gate::render(&l.file, l.text.as_deref(), &l.diagnostics)
            );
        }
    }
    let count = |severity| {
        linted
            .iter()
            .flat_map(|l| &l.diagnostics)
            .filter(|d| d.severity == severity)
            .count()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let unusable = linted.iter().filter(|l| l.unusable).count();
    let mut summary = format!(
        "{} in {}",
        [plural(errors, "error"), plural(warnings, "warning")].join(", "),
        plural(linted.len(), "file")
    );
    if unusable > 0 {
        summary.push_str(&format!(
            " ({} could not be linted)",
            plural(unusable, "file")
        ));
    }
    // With --json stdout is the array alone; the summary goes to stderr.
    if args.json {
        eprintln!("{summary}");
    } else {
        let any = linted.iter().any(|l| !l.diagnostics.is_empty());
        println!("{}{summary}", if any { "\n" } else { "" });
    }
    Ok(if unusable > 0 {
        Exit::Local
    } else if errors > 0 {
        Exit::Findings
    } else {
        Exit::Success
    })
}

fn lint_file(path: &PathBuf, deny_warnings: bool) -> Linted {
    let file = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            let diagnostic = Diagnostic {
                line: None,
                column: None,
                severity: Severity::Error,
                code: "unreadable".to_owned(),
                message: format!("cannot read the file: {e}"),
                path: None,
            };
            return Linted {
                file,
                text: None,
                diagnostics: vec![diagnostic],
                unusable: true,
            };
        }
    };
    let (mut diagnostics, unusable) = match lint_gate::lint(&text) {
        Ok(found) => (found, false),
        Err(NotJson(d)) => (vec![d], true),
    };
    if deny_warnings {
        for d in &mut diagnostics {
            d.severity = Severity::Error;
        }
    }
    Linted {
        file,
        text: Some(text),
        diagnostics,
        unusable,
    }
}

fn as_json(file: &str, d: &Diagnostic) -> Value {
    json!({
        "file": file,
        "line": d.line,
        "column": d.column,
        "pointer": d.path,
        "rule": d.code,
        "severity": d.severity.as_str(),
        "message": d.message,
    })
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
