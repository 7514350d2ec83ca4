#!/usr/bin/env python3
"""Fill fuzz/corpus/<target>/ with seeds made from the crate's test fixtures.

Nothing here is committed as binary seed files: the fixtures already are, and this script turns them into
each target's input layout (see the doc comment at the top of each fuzz_targets/*.rs). Seeds are named by
SHA-1 of their content, as libFuzzer names its own, so re-running never duplicates anything.
Standard library only.
"""
import base64
import hashlib
import json
import pathlib

FUZZ = pathlib.Path(__file__).resolve().parent
FIXTURES = FUZZ.parent / "crates" / "whatsapp-flows-crypto" / "tests" / "fixtures"
FLOW_CORPUS = FUZZ.parent / "crates" / "flows-json" / "tests" / "corpus"
REPO_FLOWS = [FUZZ.parent / "examples" / "sample-flow" / "flow.json",
              FUZZ.parent / "examples" / "appointments" / "flow.json"]
MAX_SEED = 8 * 1024  # keep seeds small: big inputs only slow libFuzzer down
MAX_FLOW_SEED = 32 * 1024  # real flows are bigger; minified, nearly all fit


def add(target, data, limit=MAX_SEED):
    if len(data) > limit:
        return 0
    out = FUZZ / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    path = out / hashlib.sha1(data).hexdigest()
    if path.exists():
        return 0
    path.write_bytes(data)
    return 1


def load(name):
    return json.loads((FIXTURES / "vectors" / name).read_text(encoding="utf-8"))


def main():
    counts = {}

    # decrypt_request: the exact HTTP bodies of the envelope vectors (ok, cannot_decrypt, malformed), and
    # round-trip mode (0xFF + plaintext) for each known plaintext.
    n = 0
    for case in load("envelope.json") + load("envelope-python.json"):
        n += add("decrypt_request", case["request_body"].encode())
        for key in ("plaintext", "response_plaintext"):
            if key in case:
                n += add("decrypt_request", b"\xff" + case[key].encode())
    for text in (b"{}", b"[]", b"\"x\"", b"{\"a\":", b"\xc3\x28", b""):
        n += add("decrypt_request", b"\xff" + text)
    counts["decrypt_request"] = n

    # parse_key: every key file, and each PEM also with CRLF line endings and with text before it.
    n = 0
    for path in sorted((FIXTURES / "keys").iterdir()):
        if path.suffix not in (".pem", ".der"):
            continue
        data = path.read_bytes()
        n += add("parse_key", data)
        if path.suffix == ".pem":
            n += add("parse_key", data.replace(b"\n", b"\r\n"))
            n += add("parse_key", b"Bag Attributes\n    localKeyID: 01\n" + data)
    counts["parse_key"] = n

    # decrypt_media: raw mode (0x00, five metadata lines, file) from every media vector that is small;
    # valid-metadata mode (0x01 + ciphertext) and real-file mode (0x02 + 3 control bytes + plaintext).
    n = 0
    for case in load("media.json"):
        meta = case["encryption_metadata"]
        fields = [meta[k] for k in ("encryption_key", "hmac_key", "iv", "plaintext_hash", "encrypted_hash")]
        cdn = base64.b64decode(case["cdn_file"])
        n += add("decrypt_media", b"\x00" + "\n".join(fields).encode() + b"\n" + cdn)
        n += add("decrypt_media", b"\x01" + cdn[:-10])
        if "plaintext" in case:
            plain = base64.b64decode(case["plaintext"])
            for control in (b"\x00\x00\x00", b"\x01\x05\x00", b"\x02\x11\x00", b"\x03\x00\x00"):
                n += add("decrypt_media", b"\x02" + control + plain[:4096])
    counts["decrypt_media"] = n

    # signature: mode 1 (given header) with each vector's real header, mode 2 (signed for real), mode 0.
    n = 0
    for case in load("signature.json"):
        header, body = case["header"].encode(), case["body"].encode()
        n += add("signature", b"\x01" + bytes([len(header)]) + header + body)
        n += add("signature", b"\x02\x00" + body)
        n += add("signature", b"\x00\x00" + body)
    counts["signature"] = n

    # flow_json: text mode (an even byte + the file) with every corpus flow and the repository's
    # two flows, as published (pretty) and minified.
    n = 0
    for path in sorted(FLOW_CORPUS.rglob("*.json")) + REPO_FLOWS:
        data = path.read_bytes()
        n += add("flow_json", b"\x00" + data, MAX_FLOW_SEED)
        minified = json.dumps(json.loads(data), separators=(",", ":"), ensure_ascii=False)
        n += add("flow_json", b"\x00" + minified.encode(), MAX_FLOW_SEED)
    counts["flow_json"] = n

    for target, count in counts.items():
        total = len(list((FUZZ / "corpus" / target).iterdir()))
        print(f"{target}: {count} new seeds, {total} in corpus/{target}")


if __name__ == "__main__":
    main()
