#!/usr/bin/env bash
# Load-tests one server binary with wrk and reports throughput, latency, errors and peak RSS.
# Usage: run.sh SERVER_BINARY [BODIES_FILE] [PORT]
#   BODIES_FILE: from `cargo run --release -p flows-hyper-server --example load-bodies -- \
#                crates/whatsapp-flows-crypto/tests/fixtures/keys/rotation-new.pub.pem load-secret 2000`
# The server gets the rotation-new fixture key and app secret `load-secret`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
server=$1
bodies=${2:-bodies.tsv}
port=${3:-3999}
keys="$root/crates/whatsapp-flows-crypto/tests/fixtures/keys"

FLOWS_PRIVATE_KEY_FILE="$keys/rotation-new.pem" FLOWS_APP_SECRET=load-secret \
  FLOWS_LISTEN="127.0.0.1:$port" RUST_LOG=warn "$server" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.1
done
# Warm-up, then the measured run.
wrk -t2 -c16 -d3s -s "$here/flows.lua" "http://127.0.0.1:$port/flow" -- "$bodies" >/dev/null
wrk -t2 -c16 -d20s --latency -s "$here/flows.lua" "http://127.0.0.1:$port/flow" -- "$bodies"
grep -E 'VmHWM|VmRSS' "/proc/$pid/status"
kill -TERM "$pid"
wait "$pid" || true
trap - EXIT
