#!/usr/bin/env bash
# The issue's performance figure: 16 simulated users walking the whole booking flow against
# flows-appointments on PostgreSQL, and the hyper sample server's rate under the same load generator
# on the same machine (its sample flow's request, as in its own load test; health checks too, for
# reference), interleaved so all see the same machine state. Prints each run and the ratios.
#
# Usage: examples/appointments/load/run.sh [ROUNDS] [WALKS]   (WALKS at most 9600)
#   Build first: cargo build --release -p flows-hyper-server -p flows-appointments \
#                --features flows-appointments/loadgen --bins
#   PostgreSQL: PGURL (default postgres://postgres@127.0.0.1:5432); each round uses a fresh database.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
rounds=${1:-3}
walks=${2:-4800}
pgurl=${PGURL:-postgres://postgres@127.0.0.1:5432}
bin="$root/target/release"
keys="$root/crates/whatsapp-flows-crypto/tests/fixtures/keys"
key="$keys/rotation-new.pem"
port=3998
db=flows_load_$$

wait_up() {
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && return 0
    sleep 0.05
  done
  echo "server did not come up" >&2
  return 1
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
rate() { sed -n 's/^requests: [0-9]* (\([0-9.]*\)\/s)$/\1/p'; }

walk_rates=() sample_rates=() ping_rates=()
for round in $(seq 1 "$rounds"); do
  psql "$pgurl/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  FLOWS_PRIVATE_KEY_FILE=$key FLOWS_LISTEN=127.0.0.1:$port DATABASE_URL=$pgurl/$db RUST_LOG=warn \
    "$bin/flows-appointments" >/dev/null 2>&1 &
  pid=$!
  trap 'kill -TERM $pid 2>/dev/null || true' EXIT
  wait_up
  out=$("$bin/appointments-load" --addr 127.0.0.1:$port --public-key "$key" \
    --database-url "$pgurl/$db" --users 16 --walks "$walks" 2>/dev/null)
  stop "$pid"
  echo "round $round, appointments on PostgreSQL:"; echo "$out" | sed 's/^/  /'
  walk_rates+=("$(echo "$out" | rate)")

  FLOWS_PRIVATE_KEY_FILE=$key FLOWS_LISTEN=127.0.0.1:$port RUST_LOG=error \
    "$bin/flows-hyper-server" >/dev/null &
  pid=$!
  wait_up
  for mode in sample ping; do
    out=$("$bin/appointments-load" --addr 127.0.0.1:$port --public-key "$key" \
      --mode $mode --users 16 --requests $((walks * 8)) 2>/dev/null)
    echo "round $round, hyper sample server ($mode):"; echo "$out" | sed 's/^/  /'
    if [ $mode = sample ]; then sample_rates+=("$(echo "$out" | rate)"); else ping_rates+=("$(echo "$out" | rate)"); fi
  done
  stop "$pid"
  trap - EXIT
done
psql "$pgurl/postgres" -qc "DROP DATABASE IF EXISTS $db"

python3 - "${walk_rates[*]}" "${sample_rates[*]}" "${ping_rates[*]}" <<'PY'
import statistics, sys
walk, sample, ping = ([float(x) for x in arg.split()] for arg in sys.argv[1:4])
print("appointments walk req/s: ", " ".join(f"{w:.0f}" for w in walk))
print("hyper sample flow req/s: ", " ".join(f"{s:.0f}" for s in sample))
print("hyper health check req/s:", " ".join(f"{p:.0f}" for p in ping))
print("walk / sample per round: ", " ".join(f"{w / s:.2f}" for w, s in zip(walk, sample)))
m = statistics.median
print(f"walk / sample flow, medians: {m(walk) / m(sample):.2f} (target >= 0.80)")
print(f"walk / health check, medians: {m(walk) / m(ping):.2f}")
PY
