//! Dynamic values: `${data.x}`, `${form.x}`, `${screen.SCREEN.data.x}` bindings, nested (backtick)
//! expressions and `If` conditions: parsing, type inference and evaluation.
