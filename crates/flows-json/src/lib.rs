//! WhatsApp Flow JSON: one typed model of the document, positions into its text, the expression
//! language of dynamic values, and validation the way Meta validates a flow.

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
