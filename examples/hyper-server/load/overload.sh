#!/usr/bin/env bash
# Overload: capacity (closed loop), then an open-loop flood at twice it for 30 s, then recovery.
# Usage: overload.sh SERVER_BINARY FLOWS_BINARY [PORT]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
server=$1; flows=$2; port=${3:-3998}
keys="$root/crates/whatsapp-flows-crypto/tests/fixtures/keys"

FLOWS_PRIVATE_KEY_FILE="$keys/rotation-new.pem" FLOWS_APP_SECRET=load-secret \
  FLOWS_LISTEN="127.0.0.1:$port" FLOWS_MAX_CONNECTIONS=8192 RUST_LOG=warn "$server" >/dev/null 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
export FLOWS_APP_SECRET=load-secret
load() { "$flows" load "http://127.0.0.1:$port/flow" --public-key "$keys/rotation-new.pub.pem" --app-secret-env FLOWS_APP_SECRET --json "$@"; }
warm=$(load --requests 2000 --concurrency 16) || { echo "warm-up failed: $warm" >&2; exit 1; }
cap=$(load --requests 100000 --concurrency 16 --duration 10s | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["ok_per_second"]))')
echo "capacity (closed loop, 16 connections): $cap/s"
flood=$(load --rate $((2 * cap)) --duration 30s --requests $((2 * cap * 30)) --concurrency 4000 --timeout 15s || true)
echo "$flood" | python3 -c '
import json,sys; r=json.load(sys.stdin); b=r["latency_ms_by_status"]
print("flood: sent %d/s, 200s %.0f/s, 503s %d, timeouts/errors %d" % (r["requests_per_second"], r["ok_per_second"], r["shed_503"], r["errors"]-r["shed_503"]))
print("  200 latency ms p50 %.1f p90 %.1f p99 %.1f max %.1f" % (b["200"]["p50"], b["200"]["p90"], b["200"]["p99"], b["200"]["max"]))
print("  503 latency ms p50 %.1f p90 %.1f p99 %.1f max %.1f" % (b["503"]["p50"], b["503"]["p90"], b["503"]["p99"], b["503"]["max"]))
print("  status", r["status"])'
grep -E 'VmHWM' "/proc/$pid/status"
sleep 1
(load --requests 400 --concurrency 4 || true) | python3 -c '
import json,sys; r=json.load(sys.stdin); l=r["latency_ms"]
print("1 s after: %d requests, p50 %.1f ms p90 %.1f ms, status %s" % (r["requests"], l["p50"], l["p90"], r["status"]))'
kill -TERM "$pid"; wait "$pid" || true; trap - EXIT
