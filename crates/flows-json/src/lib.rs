//! WhatsApp Flow JSON: one typed model of the document, positions into its text, the expression
//! language of dynamic values, and validation the way Meta validates a flow.

#![forbid(unsafe_code)]

pub mod expr;
pub mod model;
mod pointer;
mod span;
mod version;

pub use model::{Component, ComponentKind, Dyn, Flow, Screen};
pub use span::Position;
pub use version::{Version, VersionFormatError};
