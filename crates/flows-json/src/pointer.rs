//! JSON pointers (RFC 6901), the address of every diagnostic.

use std::fmt::Write as _;

/// Appends one reference token to a pointer, escaping `~` as `~0` and `/` as `~1`.
pub(crate) fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// `base` extended by one token.
pub(crate) fn join(base: &str, token: &str) -> String {
    let mut pointer = String::with_capacity(base.len() + token.len() + 1);
    pointer.push_str(base);
    push_token(&mut pointer, token);
    pointer
}

/// `base` extended by an array index.
pub(crate) fn index(base: &str, i: usize) -> String {
    let mut pointer = String::with_capacity(base.len() + 4);
    pointer.push_str(base);
    let _ = write!(pointer, "/{i}");
    pointer
}

/// The pointer one level up (`/a/b` -> `/a`); the root stays the root.
pub(crate) fn parent(pointer: &str) -> &str {
    pointer
        .rfind('/')
        .map_or("", |at| pointer.get(..at).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_escaped() {
        assert_eq!(join("/screens/0", "a/b~c"), "/screens/0/a~1b~0c");
        assert_eq!(index("", 3), "/3");
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "");
        assert_eq!(parent(""), "");
    }
}
