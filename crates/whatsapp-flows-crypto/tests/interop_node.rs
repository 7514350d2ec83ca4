//! Live interoperability with Node's `crypto` module, the stack of Meta's own example endpoint.
//!
//! Node (>= 18; CI has 20) must be installed: without it these tests fail rather than skip, because
//! silently skipping would hide the only live cross-implementation check. Set `NODE` to use a `node`
//! binary that is not on `PATH`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use whatsapp_flows_crypto::{Backend, KeySet, PrivateKey, PublicKey};

const PASSPHRASE: &str = "flows-test-passphrase";

/// One Node program, three jobs, chosen by `op` in the JSON it reads from stdin; answers JSON on stdout.
///
/// - `server`: decrypt a request envelope with a private key file (RSA-OAEP SHA-256 / MGF1-SHA-256,
///   AES-128-GCM with the 16-byte IV), and encrypt `response` under the same key and the inverted IV.
/// - `client_encrypt`: encrypt `plaintext` to a public key file as WhatsApp does.
/// - `client_decrypt`: decrypt a response body with `aes_key` and the inverted `iv`.
const NODE_SCRIPT: &str = r#"
const crypto = require('node:crypto');
const fs = require('node:fs');
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const b64 = (s) => Buffer.from(s, 'base64');
const invert = (iv) => Buffer.from(iv.map((b) => b ^ 0xff));
const oaep = { padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
let out;
if (input.op === 'server') {
  const envelope = JSON.parse(input.body);
  const key = crypto.createPrivateKey({ key: fs.readFileSync(input.key_file), passphrase: input.passphrase ?? undefined });
  const aesKey = crypto.privateDecrypt({ key, ...oaep }, b64(envelope.encrypted_aes_key));
  const iv = b64(envelope.initial_vector);
  const data = b64(envelope.encrypted_flow_data);
  const decipher = crypto.createDecipheriv('aes-128-gcm', aesKey, iv);
  decipher.setAuthTag(data.subarray(data.length - 16));
  const plaintext = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
  if (plaintext !== input.expected_plaintext) {
    console.error('plaintext mismatch: ' + JSON.stringify(plaintext));
    process.exit(3);
  }
  const cipher = crypto.createCipheriv('aes-128-gcm', aesKey, invert(iv));
  const body = Buffer.concat([cipher.update(input.response, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  out = { plaintext, aes_key_len: aesKey.length, iv_len: iv.length, response_body: body.toString('base64') };
} else if (input.op === 'client_encrypt') {
  const aesKey = crypto.randomBytes(16);
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('aes-128-gcm', aesKey, iv);
  const data = Buffer.concat([cipher.update(input.plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const wrapped = crypto.publicEncrypt({ key: fs.readFileSync(input.public_key_file), ...oaep }, aesKey);
  const body = JSON.stringify({
    encrypted_flow_data: data.toString('base64'),
    encrypted_aes_key: wrapped.toString('base64'),
    initial_vector: iv.toString('base64'),
  });
  out = { body, aes_key: aesKey.toString('base64'), iv: iv.toString('base64') };
} else if (input.op === 'client_decrypt') {
  const data = b64(input.response_body);
  const decipher = crypto.createDecipheriv('aes-128-gcm', b64(input.aes_key), invert(b64(input.iv)));
  decipher.setAuthTag(data.subarray(data.length - 16));
  const plaintext = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
  out = { plaintext };
} else {
  console.error('unknown op ' + input.op);
  process.exit(2);
}
process.stdout.write(JSON.stringify(out));
"#;

fn key_file(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

/// Runs the Node script with `input` on stdin and returns its JSON answer.
fn node(input: &Value) -> Value {
    let program = std::env::var_os("NODE").unwrap_or_else(|| "node".into());
    let mut child = Command::new(&program)
        .arg("-e")
        .arg(NODE_SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {program:?} ({e}): the Node.js interop tests need `node` (>= 18) on PATH \
                 (or its path in the NODE environment variable); install Node.js, do not skip these tests"
            )
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "node failed ({}) on op {}: {}",
        output.status,
        input["op"],
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "node printed something other than JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field} in {value}"))
}

const REQUEST: &str = r#"{"version":"3.0","action":"data_exchange","screen":"DÉTAILS","data":{"nom":"José","ville":"القاهرة","備考":"🎉👍🏽"},"flow_token":"tok-1"}"#;
const RESPONSE: &str = r#"{"screen":"SUCCESS","data":{"extension_message_response":{"params":{"flow_token":"tok-1","message":"merci ✓"}}}}"#;

#[test]
fn our_client_to_node_server() {
    // The keys Meta's Node example would hold: the OpenSSL PKCS#8 key and the Node-generated legacy one.
    for (public, private, passphrase) in [
        (
            "openssl-genpkey-pkcs8.pub.pem",
            "openssl-genpkey-pkcs8.pem",
            None,
        ),
        (
            "node-generatekeypair-pkcs1-des3.pub.pem",
            "node-generatekeypair-pkcs1-des3.pem",
            Some(PASSPHRASE),
        ),
    ] {
        let public =
            PublicKey::from_pem(&std::fs::read_to_string(key_file(public)).unwrap()).unwrap();
        let sent = public.encrypt_request(REQUEST.as_bytes()).unwrap();

        let answer = node(&json!({
            "op": "server",
            "body": sent.body(),
            "key_file": key_file(private),
            "passphrase": passphrase,
            "expected_plaintext": REQUEST,
            "response": RESPONSE,
        }));
        assert_eq!(text(&answer, "plaintext"), REQUEST);
        assert_eq!(answer["aes_key_len"], 16);
        assert_eq!(answer["iv_len"], 16);

        let reply = sent
            .into_response()
            .decrypt(text(&answer, "response_body").as_bytes())
            .unwrap();
        assert_eq!(&*reply, RESPONSE);
    }
}

#[test]
fn node_client_to_our_server() {
    let pem = std::fs::read_to_string(key_file("openssl-genpkey-pkcs8.pem")).unwrap();
    let key = PrivateKey::from_pem(&pem, None).unwrap();
    let mut backends = 0;
    for &backend in Backend::available() {
        let keys = KeySet::new(key.clone().with_backend(backend).unwrap());

        // A fresh request from Node for each backend.
        let sent = node(&json!({
            "op": "client_encrypt",
            "plaintext": REQUEST,
            "public_key_file": key_file("openssl-genpkey-pkcs8.pub.pem"),
        }));
        let request = keys
            .decrypt_request(text(&sent, "body").as_bytes())
            .unwrap_or_else(|e| panic!("{backend}: {e:?}"));
        assert_eq!(request.plaintext(), REQUEST, "{backend}");
        assert_eq!(request.key_fingerprint(), key.fingerprint());

        let response: Value = serde_json::from_str(RESPONSE).unwrap();
        let body = request.into_parts().1.encrypt(&response).unwrap();

        let answer = node(&json!({
            "op": "client_decrypt",
            "response_body": body,
            "aes_key": text(&sent, "aes_key"),
            "iv": text(&sent, "iv"),
        }));
        let decrypted: Value = serde_json::from_str(text(&answer, "plaintext")).unwrap();
        assert_eq!(decrypted, response, "{backend}");
        backends += 1;
    }
    assert_eq!(backends, if cfg!(feature = "aws-lc") { 2 } else { 1 });
}
