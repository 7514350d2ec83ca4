//! WhatsApp Flow JSON: one typed model of the document, positions into its text, the expression
//! language of dynamic values, and validation the way Meta validates a flow.

#![forbid(unsafe_code)]

pub mod expr;
