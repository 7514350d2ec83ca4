//! A small PEM reader that, unlike RFC 7468 parsers, keeps RFC 1421 headers (`Proc-Type`, `DEK-Info`):
//! legacy encrypted `RSA PRIVATE KEY` files need them.

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::b64;
use crate::error::KeyError;

pub(crate) struct Pem<'a> {
    pub(crate) label: &'a str,
    /// `(name, value)` pairs from the RFC 1421 header block, in order.
    pub(crate) headers: Vec<(&'a str, &'a str)>,
    pub(crate) der: Zeroizing<Vec<u8>>,
}

impl Pem<'_> {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Parses the first PEM block in `text`; text before it (OpenSSL's "Bag Attributes", comments) is skipped.
pub(crate) fn parse(text: &str) -> Result<Pem<'_>, KeyError> {
    const BEGIN: &str = "-----BEGIN ";
    let start = text
        .find(BEGIN)
        .ok_or(KeyError::Unrecognized("no -----BEGIN line"))?;
    let rest = text.get(start + BEGIN.len()..).unwrap_or_default();
    let (label, rest) = rest
        .split_once("-----")
        .ok_or(KeyError::Unrecognized("unterminated BEGIN line"))?;
    if label.is_empty() || label.len() > 64 || label.contains('\n') {
        return Err(KeyError::Unrecognized("invalid BEGIN line"));
    }
    let end_marker = format!("-----END {label}-----");
    let end = rest
        .find(&end_marker)
        .ok_or(KeyError::Unrecognized("no matching -----END line"))?;
    let body = rest.get(..end).unwrap_or_default();

    let mut headers = Vec::new();
    let mut b64_text = Zeroizing::new(String::with_capacity(body.len()));
    let mut in_headers = true;
    for line in body.lines() {
        let line = line.trim();
        if in_headers {
            if line.is_empty() {
                if !headers.is_empty() {
                    in_headers = false;
                }
                continue;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim(), value.trim()));
                continue;
            }
            in_headers = false;
        }
        b64_text.push_str(line);
    }
    let der = b64::STANDARD
        .decode(b64_text.as_bytes())
        .map_err(|_| KeyError::Unrecognized("the PEM body is not valid base64"))?;
    if der.is_empty() {
        return Err(KeyError::Unrecognized("the PEM body is empty"));
    }
    Ok(Pem {
        label,
        headers,
        der: Zeroizing::new(der),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_rfc1421_headers_and_skips_leading_text() {
        let text = "Bag Attributes\n-----BEGIN RSA PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\n\
                    DEK-Info: DES-EDE3-CBC,0011223344556677\r\n\r\nAAEC\r\nAw==\r\n-----END RSA PRIVATE KEY-----\n";
        let pem = parse(text).unwrap();
        assert_eq!(pem.label, "RSA PRIVATE KEY");
        assert_eq!(
            pem.header("dek-info"),
            Some("DES-EDE3-CBC,0011223344556677")
        );
        assert_eq!(pem.der.as_slice(), &[0, 1, 2, 3]);
    }

    #[test]
    fn rejects_mismatched_end() {
        let text = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(matches!(parse(text), Err(KeyError::Unrecognized(_))));
    }
}
