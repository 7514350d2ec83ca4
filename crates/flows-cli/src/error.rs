//! Exit codes and the one error type every subcommand returns.

use std::fmt;
use std::process::ExitCode;

/// The process exit status, as the issue fixes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 0: the command did what was asked and the remote (if any) agreed.
    Success,
    /// 1: the remote said no: a non-200 answer, a Graph API error, a network failure or a timeout.
    Remote,
    /// 1: `flows lint` found an error in a file.
    Findings,
    /// 2: usage or local input error (bad flags, unreadable or wrong key, malformed file).
    Local,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        match exit {
            Exit::Success => Self::SUCCESS,
            Exit::Remote | Exit::Findings => Self::from(1),
            Exit::Local => Self::from(2),
        }
    }
}

/// A failure with the message to show and the exit status it maps to.
///
/// Messages never contain secrets (tokens, passphrases, app secrets, key material).
#[derive(Debug)]
pub(crate) struct Failure {
    exit: Exit,
    message: String,
}

impl Failure {
    /// A usage or local input error (exit 2).
    pub(crate) fn local(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Local,
            message: message.into(),
        }
    }

    /// The remote refused, failed or could not be reached (exit 1).
    pub(crate) fn remote(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Remote,
            message: message.into(),
        }
    }

    /// The exit status for this failure.
    pub(crate) fn exit(&self) -> Exit {
        self.exit
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// An error and its `source()` chain on one line (hyper and rustls put the useful part at the bottom).
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
