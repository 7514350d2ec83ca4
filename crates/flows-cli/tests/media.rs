//! `flows decrypt-media` on the known-answer vectors made by Python `cryptography`
//! (crates/whatsapp-flows-crypto/tests/fixtures/vectors/media.json), from a file and from a URL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod graph_mock;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{fixtures, flows, run, temp_dir};
use graph_mock::{Answer, MockGraph};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures("vectors").join("media.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Writes the vector's metadata and CDN file into `dir`.
fn materialize(vector: &Value, dir: &Path) -> (PathBuf, PathBuf, Vec<u8>) {
    let metadata = dir.join("metadata.json");
    std::fs::write(&metadata, vector["encryption_metadata"].to_string()).unwrap();
    let encrypted = dir.join("file.enc");
    let cdn = STANDARD
        .decode(vector["cdn_file"].as_str().unwrap())
        .unwrap();
    std::fs::write(&encrypted, &cdn).unwrap();
    (metadata, encrypted, cdn)
}

#[test]
fn every_known_answer_vector_from_a_file() {
    let vectors = vectors();
    assert!(vectors.len() >= 10);
    for vector in &vectors {
        let name = vector["name"].as_str().unwrap();
        let dir = temp_dir(&format!("media-{name}"));
        let (metadata, encrypted, _) = materialize(vector, &dir);
        let out = dir.join("plain");
        let result = run(flows()
            .args(["decrypt-media", "--metadata"])
            .arg(&metadata)
            .arg("--in")
            .arg(&encrypted)
            .arg("--out")
            .arg(&out));
        match vector["expect"].as_str().unwrap() {
            "ok" => {
                let result = result.expect_code(0);
                let expected = STANDARD
                    .decode(vector["plaintext"].as_str().unwrap())
                    .unwrap();
                assert_eq!(std::fs::read(&out).unwrap(), expected, "{name}");
                assert!(
                    result
                        .stderr
                        .contains(&format!("wrote {} bytes", expected.len())),
                    "{name}"
                );
            }
            failure => {
                let result = result.expect_code(2);
                let says = match failure {
                    "encrypted_hash_mismatch" => "encrypted_hash",
                    "hmac_mismatch" => "HMAC",
                    "bad_padding" => "AES-256-CBC decryption failed",
                    "plaintext_hash_mismatch" => "plaintext_hash",
                    "invalid_metadata" => "encryption_metadata.",
                    other => panic!("unknown expectation {other}"),
                };
                assert!(result.stderr.contains(says), "{name}: {}", result.stderr);
                assert!(!out.exists(), "{name}: nothing is written on failure");
            }
        }
        std::fs::remove_dir_all(dir).ok();
    }
}

#[test]
fn downloads_with_url_and_accepts_the_whole_media_object() {
    let vector = vectors()
        .into_iter()
        .find(|v| v["name"] == "jpeg-like-100k")
        .unwrap();
    let dir = temp_dir("media-url");
    let (_, _, cdn) = materialize(&vector, &dir);
    let server = MockGraph::start(vec![
        Answer::Raw(200, "application/octet-stream", cdn),
        Answer::Raw(404, "text/plain", b"URL signature expired".to_vec()),
    ]);
    // The whole media object, as it appears in the request's data.
    let media = dir.join("media.json");
    std::fs::write(
        &media,
        serde_json::json!({
            "media_id": "790aba14-5f4a-4dbd-b9e2-5d6f2a4f3b0c",
            "cdn_url": format!("{}/v/t62.1/file.enc", server.url),
            "file_name": "IMG_5237.jpg",
            "encryption_metadata": vector["encryption_metadata"],
        })
        .to_string(),
    )
    .unwrap();
    let url = format!("{}/v/t62.1/file.enc?ccb=1-7&oh=signed", server.url);
    let out = dir.join("photo.jpg");
    run(flows()
        .args(["decrypt-media", "--metadata"])
        .arg(&media)
        .args(["--url", &url, "--out"])
        .arg(&out))
    .expect_code(0);
    let expected = STANDARD
        .decode(vector["plaintext"].as_str().unwrap())
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), expected);
    let seen = server.next();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path_and_query(), "/v/t62.1/file.enc?ccb=1-7&oh=signed");

    // The CDN saying no is the remote saying no: exit 1.
    let failed = run(flows()
        .args(["decrypt-media", "--metadata"])
        .arg(&media)
        .args(["--url", &url, "--out"])
        .arg(dir.join("other.jpg")))
    .expect_code(1);
    assert!(failed.stderr.contains("HTTP 404"), "{}", failed.stderr);

    // `--out -` writes the bytes to standard output.
    let to_stdout = run(flows()
        .args(["decrypt-media", "--metadata"])
        .arg(&media)
        .arg("--in")
        .arg(dir.join("file.enc"))
        .args(["--out", "-"]))
    .expect_code(0);
    assert_eq!(to_stdout.stdout_bytes, expected);
    std::fs::remove_dir_all(dir).ok();
}
