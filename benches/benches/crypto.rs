//! The per-request cost of a Flows endpoint, per RSA backend, next to the bare RSA-OAEP it wraps.
//!
//! Groups (criterion writes `target/criterion/<group>/<bench>/new/estimates.json`):
//! - `key_load/<format>/<backend>`: parsing and validating a key file, once per format the crate reads;
//! - `decrypt_request/<backend>`: the raw HTTP body to plaintext (RSA-OAEP + AES-128-GCM + JSON check);
//! - `encrypt_response/<backend>`: serializing and encrypting the reply (AES-GCM only; the backend only
//!   decides how the context was made, so these should all be equal);
//! - `round_trip/<backend>`: decrypt + encrypt, what one request costs an endpoint;
//! - `baseline/rsa_oaep_decrypt`: bare `rsa` 0.10 `oaep_decrypt::<Sha256>` of a 256-byte ciphertext,
//!   the floor for the pure-Rust backend;
//! - `baseline/aws_lc_oaep_decrypt`: bare aws-lc-rs RSA-2048 OAEP-SHA256 decryption, the floor for aws-lc.
//!
//! Times are wall-clock by default. With `FLOWS_BENCH_CLOCK=cpu` they are the benchmark thread's CPU time
//! instead, which is what `openssl speed` divides by unless given `-elapsed`: `ratios.sh` uses that so
//! its ratios do not depend on whatever else the machine is running.
#![allow(
    missing_docs,
    clippy::expect_used,
    reason = "a benchmark harness: criterion_main! generates undocumented items, and a broken fixture should abort"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BatchSize, BenchmarkId, Criterion};
use flows_benches::{
    KEY_FORMATS, KEY_PKCS8_PEM, PASSPHRASE, data_exchange, key_set, pkcs8_der, reply,
};
use whatsapp_flows_crypto::{Backend, PrivateKey};

fn key_load<M: Measurement>(c: &mut Criterion<M>) {
    let pkcs8_der = pkcs8_der();
    let formats = KEY_FORMATS
        .iter()
        .copied()
        .chain([("pkcs8-der", pkcs8_der.as_slice(), false)]);
    let mut group = c.benchmark_group("key_load");
    // scrypt (N=16384) costs tens of milliseconds a load: keep the sample count small.
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (format, bytes, encrypted) in formats {
        let passphrase = encrypted.then_some(PASSPHRASE);
        for &backend in Backend::available() {
            // There is no "load straight onto backend X" call: loading builds the default backend's key
            // (aws-lc with this package's features), so other backends include that extra conversion.
            group.bench_function(BenchmarkId::new(format, backend.name()), |b| {
                b.iter(|| {
                    let key = PrivateKey::from_bytes(black_box(bytes), passphrase)
                        .and_then(|key| key.with_backend(backend))
                        .expect("fixture key loads");
                    black_box(key)
                });
            });
        }
    }
    group.finish();
}

fn requests<M: Measurement>(c: &mut Criterion<M>) {
    let plaintext = data_exchange();
    let payload = plaintext.as_bytes();
    assert!(
        (280..=340).contains(&payload.len()),
        "payload is {} bytes",
        payload.len()
    );
    let reply = reply();

    for &backend in Backend::available() {
        let keys = key_set(backend);
        let body = keys
            .current()
            .public_key()
            .encrypt_request(payload)
            .expect("encrypt request")
            .body()
            .to_owned();
        let check = keys.decrypt_request(body.as_bytes()).expect("decrypts");
        assert_eq!(check.plaintext(), plaintext);

        c.benchmark_group("decrypt_request")
            .bench_function(backend.name(), |b| {
                b.iter(|| {
                    black_box(
                        keys.decrypt_request(black_box(body.as_bytes()))
                            .expect("decrypts"),
                    )
                });
            });

        // Each context encrypts once and only decrypt_request makes one, so contexts are made in untimed
        // batches. Every context costs an RSA decryption to make, hence the short warm-up and measurement
        // (criterion sizes them by the timed part alone, about a microsecond).
        let mut group = c.benchmark_group("encrypt_response");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(5))
            .measurement_time(Duration::from_millis(20));
        group.bench_function(backend.name(), |b| {
            b.iter_batched(
                || {
                    keys.decrypt_request(body.as_bytes())
                        .expect("decrypts")
                        .into_parts()
                        .1
                },
                |context| black_box(context.encrypt(&reply).expect("serializes")),
                BatchSize::SmallInput,
            );
        });
        group.finish();

        c.benchmark_group("round_trip")
            .bench_function(backend.name(), |b| {
                b.iter(|| {
                    let request = keys
                        .decrypt_request(black_box(body.as_bytes()))
                        .expect("decrypts");
                    let (_plaintext, context) = request.into_parts();
                    black_box(context.encrypt(&reply).expect("serializes"))
                });
            });
    }
}

fn baselines<M: Measurement>(c: &mut Criterion<M>) {
    use rsa::pkcs8::DecodePrivateKey as _;

    let pem = std::str::from_utf8(KEY_PKCS8_PEM).expect("PEM is text");
    let mut key = rsa::PrivateKey::from_pkcs8_pem(pem).expect("rsa parses the fixture");
    key.precompute().expect("CRT values");
    let aes_key = [0x42u8; 16];
    let ciphertext = key
        .to_public_key()
        .oaep_encrypt::<sha2::Sha256>(&aes_key)
        .expect("OAEP encrypt");
    assert_eq!(ciphertext.len(), 256);

    let mut group = c.benchmark_group("baseline");
    group.bench_function("rsa_oaep_decrypt", |b| {
        b.iter(|| {
            black_box(
                key.oaep_decrypt::<sha2::Sha256>(black_box(&ciphertext))
                    .expect("decrypts"),
            )
        });
    });

    let private = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(&pkcs8_der())
        .expect("aws-lc parses the fixture");
    let oaep = aws_lc_rs::rsa::OaepPrivateDecryptingKey::new(private).expect("OAEP key");
    let mut out = vec![0u8; oaep.min_output_size()];
    assert_eq!(
        oaep.decrypt(
            &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
            &ciphertext,
            &mut out,
            None
        )
        .expect("decrypts"),
        aes_key
    );
    group.bench_function("aws_lc_oaep_decrypt", |b| {
        b.iter(|| {
            let plain = oaep
                .decrypt(
                    &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
                    black_box(&ciphertext),
                    &mut out,
                    None,
                )
                .expect("decrypts");
            black_box(plain.len())
        });
    });
    group.finish();
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`), shown like wall-clock durations.
struct ThreadCpuTime;

static WALL_TIME: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = cpu_time::ThreadTime;
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }
    fn end(&self, start: Self::Intermediate) -> Self::Value {
        start.elapsed()
    }
    fn add(&self, a: &Self::Value, b: &Self::Value) -> Self::Value {
        *a + *b
    }
    fn zero(&self) -> Self::Value {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Self::Value) -> f64 {
        value.as_secs_f64() * 1e9
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL_TIME.formatter()
    }
}

fn run<M: Measurement>(mut c: Criterion<M>) {
    baselines(&mut c);
    requests(&mut c);
    key_load(&mut c);
    c.final_summary();
}

fn main() {
    if std::env::var_os("FLOWS_BENCH_CLOCK").is_some_and(|clock| clock == "cpu") {
        run(Criterion::default()
            .with_measurement(ThreadCpuTime)
            .configure_from_args());
    } else {
        run(Criterion::default().configure_from_args());
    }
}
