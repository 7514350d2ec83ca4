//! `flows`: the WhatsApp Flows developer's command line.
//!
//! Makes and registers the business key pair, checks what Meta has, talks to a Flows endpoint exactly as
//! the WhatsApp client does, explains why a captured request does not decrypt, decrypts PhotoPicker /
//! DocumentPicker media, load-tests an endpoint, manages flows with Meta and sends them to users.
//!
//! Exit codes: 0 success, 1 the remote said no (a non-200 answer, a Graph API error, a network failure or
//! timeout), 2 usage or local input error.

// A command-line tool's output is its interface: printing to stdout and stderr is the point.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod duration;
mod error;
mod flow_api;
mod graph;
mod http;
mod inspect;
mod keygen;
mod keys;
mod lint;
mod lint_gate;
mod load;
mod load_walk;
mod media;
mod message;
mod preview;
mod send;
mod walk;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::error::{Exit, Failure};

// `load --walk` allocates for every request it builds and every reply it reads; see Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            eprintln!("flows: {failure}");
            failure.exit().into()
        }
    }
}

fn run(cli: Cli) -> Result<Exit, Failure> {
    let passphrase_env = cli.passphrase_env;
    match cli.command {
        Command::Keygen(args) => keygen::run(&args, &passphrase_env),
        Command::PublicKey(args) => {
            let public = keys::load_public(&args.key, &passphrase_env)?;
            print!("{}", public.to_pem());
            Ok(Exit::Success)
        }
        Command::Register(args) => {
            runtime(false)?.block_on(graph::register(&args, &passphrase_env))
        }
        Command::KeyStatus(args) => {
            runtime(false)?.block_on(graph::key_status(&args, &passphrase_env))
        }
        Command::Send(args) => runtime(false)?.block_on(send::run(&args, &passphrase_env)),
        Command::InspectRequest(args) => inspect::run(&args, &passphrase_env),
        Command::DecryptMedia(args) => media::run(&args),
        Command::Load(args) => load::run(&args, &passphrase_env),
        Command::Flow(args) => runtime(false)?.block_on(flow_api::run(args)),
        Command::Message(args) => runtime(false)?.block_on(message::run(args)),
        Command::Walk(args) => runtime(false)?.block_on(walk::run(&args, &passphrase_env)),
        Command::Lint(args) => lint::run(&args),
        Command::Preview(args) => preview::run(&args, &passphrase_env),
    }
}

/// A tokio runtime: one thread for single requests, all cores for `load`.
fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime, Failure> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder
        .enable_all()
        .build()
        .map_err(|e| Failure::local(format!("cannot start the async runtime: {e}")))
}
