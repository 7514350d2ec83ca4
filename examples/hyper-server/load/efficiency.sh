#!/usr/bin/env bash
# CPU time per request of a server under wrk -t1 -c16, against openssl's RSA-2048 private-key op.
# Usage: efficiency.sh SERVER_BINARY BODIES_FILE [PORT] [extra env...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
server=$1; bodies=$2; port=${3:-3999}
keys="$root/crates/whatsapp-flows-crypto/tests/fixtures/keys"
lua="$root/examples/hyper-server/load/flows.lua"
tick=$(getconf CLK_TCK)
FLOWS_PRIVATE_KEY_FILE="$keys/rotation-new.pem" FLOWS_APP_SECRET=load-secret \
  FLOWS_LISTEN="127.0.0.1:$port" RUST_LOG=warn "$server" >/dev/null 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
wrk -t1 -c16 -d3s -s "$lua" "http://127.0.0.1:$port/flow" -- "$bodies" >/dev/null
cpu() { awk '{print $14+$15}' "/proc/$pid/stat"; }
before=$(cpu)
out=$(wrk -t1 -c16 -d20s -s "$lua" "http://127.0.0.1:$port/flow" -- "$bodies")
after=$(cpu)
reqs=$(echo "$out" | awk '/requests in/{print $1}')
non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}')
rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
us=$(python3 -c "print(round(($after-$before)/$tick*1e6/$reqs,1))")
echo "server=$(basename "$server") requests=$reqs rps=$rps non2xx=${non2xx:-0} cpu_us_per_request=$us"
kill -TERM "$pid"; wait "$pid" || true; trap - EXIT
