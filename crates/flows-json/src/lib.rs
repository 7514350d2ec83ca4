//! WhatsApp Flow JSON: one typed model of the document, positions into its text, the expression
//! language of dynamic values, and validation the way Meta validates a flow.
//!
//! ```
//! use flows_json::{Document, Severity};
//!
//! let text = r#"{
//!   "version": "7.3",
//!   "screens": [{
//!     "id": "WELCOME",
//!     "title": "Welcome",
//!     "terminal": true,
//!     "layout": {"type": "SingleColumnLayout", "children": [
//!       {"type": "TextBody", "text": "Hi ${data.name}"},
//!       {"type": "Footer", "label": "Done", "on-click-action": {"name": "complete"}}
//!     ]}
//!   }]
//! }"#;
//! let doc = Document::parse(text)?;
//! for d in doc.diagnostics() {
//!     println!("flow.json:{}:{}: {}[{}]: {}", d.line().unwrap_or(0), d.column().unwrap_or(0), d.severity, d.rule, d.message);
//! }
//! let d = &doc.diagnostics()[0];
//! assert_eq!(d.rule.id(), "uninterpolated-reference");
//! assert_eq!((d.severity, d.line(), d.column()), (Severity::Warning, Some(8), Some(40)));
//! # Ok::<(), flows_json::ParseError>(())
//! ```
//!
//! # What is where
//!
//! - [`model`]: serde types for Flow JSON 2.1 to 7.3 — [`Flow`], [`Screen`], every [`Component`]
//!   of Meta's reference, every [`model::Action`]. Dynamic-capable properties are [`Dyn<T>`]
//!   (a literal `T` or a `${…}` / backtick string). [`Screen::components`] walks a screen,
//!   If/Switch branches and Forms included, with each component's JSON pointer;
//!   [`Screen::form_fields`] lists the inputs `${form.…}` can read.
//! - [`validate`]: every [`Rule`], each with a stable kebab-case id, a [`Severity`], Meta's error
//!   code where one is documented, and its source in its documentation.
//! - [`Document`] / [`lint`]: the text, the model and the positions together; every
//!   [`Diagnostic`] gets a line and column. JSON syntax errors are [`ParseError::Syntax`].
//! - [`reply`]: the reply contract (does an endpoint reply fit the flow?), for flows-router and
//!   the simulator.
//! - [`expr`]: the expression language (bindings, nested expressions, `If` conditions).
//!
//! # Design
//!
//! - **Nothing is dropped, nothing hides the rest.** Parsing never fails on a JSON document: the
//!   top level, screens, layouts and data declarations are read property by property, and a value
//!   of the wrong type is kept as an [`model::InvalidProperty`]; a component that cannot be read as
//!   its type becomes [`Component::Invalid`] (with the path of the offending property, found with
//!   serde_path_to_error, and the components salvaged from its `children`/`then`/`else`/`cases`);
//!   an unknown `type` becomes [`Component::Unknown`]. Unknown properties are kept in each struct's
//!   `extra` map and reported by `unknown-property`. Serializing gives back the same JSON value.
//!   The one loss: a `null` in an optional typed property reads as absent (and `null-value`
//!   reports it).
//! - **Positions in one pass.** serde_json parses the text (and reports syntax errors); a small
//!   scanner of this crate then walks the text once and maps every JSON pointer to the byte span
//!   of its key and value, noting duplicate keys and `null`s on the way. A maintained crate with
//!   exactly this (pointer -> span for standard JSON, duplicate keys) was not found; the scanner is
//!   ~250 lines with its own tests. Lines and columns (in characters) come from a line-start table.
//! - **Warnings over false positives.** Rules from Meta's documentation or error table are errors;
//!   inferred or third-party ones are warnings or absent, so real published flows lint clean.
//! - **Linear.** Validation visits each component a bounded number of times; a generated 1 MB flow
//!   lints in tens of milliseconds in a release build (`cargo run --release -p flows-json --example large`).
//!
//! # Dependencies
//!
//! serde / serde_json (the model), thiserror (errors), serde_path_to_error (the property a
//! component failed on), time (calendar validation of `YYYY-MM-DD` dates).

#![forbid(unsafe_code)]

mod diagnostic;
mod document;
mod dynamic;
pub mod expr;
pub mod model;
mod pointer;
pub mod reply;
mod span;
mod validate;
mod version;

pub use diagnostic::{Diagnostic, Location, Rule, Severity};
pub use document::{Document, ParseError, lint};
pub use model::{Component, ComponentKind, Dyn, Flow, Screen};
pub use span::Position;
pub use validate::validate;
pub use version::{Version, VersionFormatError};
