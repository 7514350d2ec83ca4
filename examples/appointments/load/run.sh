#!/usr/bin/env bash
# The issue's performance figure, measured with `flows load --walk`: 16 simulated users walking the
# whole booking flow (walks/load.json, each walk its own free seat of the demo clinic) against
# flows-appointments on PostgreSQL, and 16 users walking Meta's sample flow
# (examples/sample-flow/walks/book.json) against the hyper sample server, plus that server's health
# checks (plain `flows load`) for reference; interleaved round by round so all see the same machine
# state. Prints each run and the ratios of the request rates. A run whose walks fail (an overloaded
# server sheds with 503) is reported with its reasons and still counted: its rate is what it served.
#
# Usage: examples/appointments/load/run.sh [ROUNDS] [WALKS]   (WALKS at most the demo's free seats, 1104)
#   Build first: cargo build --release -p flows-cli -p flows-hyper-server -p flows-appointments --bins
#   BIN: the directory of those three binaries (default target/release), e.g. to compare two builds.
#   PostgreSQL: PGURL (default postgres://postgres@127.0.0.1:5432); each round uses a fresh database.
#   TOKENS=issued (the default): before the clock starts, `flows-appointments issue-token` issues one
#   flow token per walk (about 25 ms each), which --walk-data hands to that walk, so the endpoint's
#   flow-token check is part of the figure. TOKENS=any: the server runs with FLOWS_ACCEPT_ANY_TOKEN=1
#   and accepts each walk's random token instead (no preparation; one statement fewer per walk).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
rounds=${1:-3}
walks=${2:-1104}
pgurl=${PGURL:-postgres://postgres@127.0.0.1:5432}
bin=${BIN:-$root/target/release}
keys="$root/crates/whatsapp-flows-crypto/tests/fixtures/keys"
key="$keys/rotation-new.pem"
port=3998
db=flows_load_$$
work=$(mktemp -d)
users=16
tokens=${TOKENS:-issued}
case $tokens in issued) any_token=0 ;; any) any_token=1 ;; *) echo "TOKENS is issued or any" >&2; exit 2 ;; esac
# The sample flow's walk sends 6 requests, the booking walk 8: the same number of requests for both.
sample_walks=$((walks * 8 / 6))

wait_up() {
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && return 0
    sleep 0.05
  done
  echo "server did not come up" >&2
  return 1
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
# CPU ticks (user + system) so far of the given processes, one "pid ticks" line each; and the CPU time
# per request between two such lists, in µs (a process started in between counts from zero).
ticks() { for p in "$@"; do awk '{print $1, $14+$15}' "/proc/$p/stat" 2>/dev/null || true; done; }
per_request() { python3 -c "
import sys
read = lambda f: dict(map(int, line.split()) for line in open(f) if line.strip())
a, b = read(sys.argv[1]), read(sys.argv[2])
print(round(sum(t - a.get(p, 0) for p, t in b.items()) / $(getconf CLK_TCK) * 1e6 / int(sys.argv[3])))" "$@"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
load() { "$bin/flows" load "http://127.0.0.1:$port/flow" --public-key "$key" "$@"; }

walk_rates=() sample_rates=() ping_rates=()
for round in $(seq 1 "$rounds"); do
  psql "$pgurl/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  FLOWS_PRIVATE_KEY_FILE=$key FLOWS_LISTEN=127.0.0.1:$port DATABASE_URL=$pgurl/$db RUST_LOG=warn \
    FLOWS_ACCEPT_ANY_TOKEN=$any_token "$bin/flows-appointments" >/dev/null 2>&1 &
  pid=$!
  trap 'kill -TERM $pid 2>/dev/null || true; rm -rf "$work"' EXIT
  wait_up
  # One free seat per walk, read from the database the server has just seeded (so no two walks race
  # for a seat), interleaved over seats, times and days so concurrent users spread over slots.
  psql "$pgurl/$db" -Atqc "SELECT coalesce(json_agg(row_to_json(free)), '[]') FROM (
      SELECT sl.department_id AS department, sl.location_id AS location,
             to_char(sl.day, 'YYYY-MM-DD') AS date, sl.start_time AS time, se.id AS seat
        FROM seats se JOIN slots sl ON sl.id = se.slot_id
       WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = se.slot_id AND b.seat_id = se.id)
       ORDER BY se.id, sl.start_time, sl.day, sl.department_id, sl.location_id
       LIMIT $walks) free" >"$work/seats.json"
  free=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$work/seats.json")
  if [ "$free" -lt "$walks" ]; then
    echo "at most $free walks: the demo clinic has $free free seats" >&2
    exit 2
  fi
  if [ "$tokens" = issued ]; then
    for _ in $(seq 1 "$walks"); do
      DATABASE_URL=$pgurl/$db RUST_LOG=warn "$bin/flows-appointments" issue-token --ttl 1h
    done >"$work/tokens.txt"
    python3 - "$work/seats.json" "$work/tokens.txt" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
tokens = open(sys.argv[2]).read().split()
assert len(tokens) == len(rows), f"{len(tokens)} tokens for {len(rows)} walks"
for row, token in zip(rows, tokens):
    row["flow_token"] = token
json.dump(rows, open(sys.argv[1], "w"))
PY
  fi
  # As pgbench does before each run: the seeding and the token inserts leave autovacuum, analyze
  # and dirty buffers behind, which would otherwise land in the measured walk.
  psql "$pgurl/$db" -qc "VACUUM ANALYZE" -c "CHECKPOINT"
  echo "round $round, appointments on PostgreSQL ($walks walks, TOKENS=$tokens):"
  ticks "$pid" >"$work/server-before"; ticks $(pgrep -x postgres) >"$work/pg-before"
  load --flow "$root/examples/appointments/flow.json" \
    --walk "$root/examples/appointments/walks/load.json" --walk-data "$work/seats.json" \
    --users $users --walks "$walks" | tee "$work/walk.txt" | sed 's/^/  /' || true
  ticks "$pid" >"$work/server-after"; ticks $(pgrep -x postgres) >"$work/pg-after"
  echo "  server CPU per request: $(per_request "$work/server-before" "$work/server-after" $((walks * 8))) µs, PostgreSQL's: $(per_request "$work/pg-before" "$work/pg-after" $((walks * 8))) µs"
  stop "$pid"
  walk_rates+=("$(sed -n 's/^walked .* requests, \([0-9.]*\) requests\/s$/\1/p' "$work/walk.txt")")
  if ! grep -q '^completed walks: .*; failed walks: 0$' "$work/walk.txt"; then
    echo "  (some walks failed: see above)" >&2
  fi

  FLOWS_PRIVATE_KEY_FILE=$key FLOWS_LISTEN=127.0.0.1:$port RUST_LOG=error \
    "$bin/flows-hyper-server" >/dev/null &
  pid=$!
  wait_up
  ticks "$pid" >"$work/server-before"
  out=$(load --flow "$root/examples/sample-flow/flow.json" \
    --walk "$root/examples/sample-flow/walks/book.json" --users $users --walks "$sample_walks" --json) || true
  ticks "$pid" >"$work/server-after"
  echo "round $round, hyper sample server ($sample_walks walks of its flow):"
  echo "$out" | python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"  {r['requests']} requests, {r['requests_per_second']:.0f} requests/s, {r['completed_walks']} walks completed, {r['failed_walks']} failed, p50 {r['latency_ms']['p50']:.1f} ms, p99 {r['latency_ms']['p99']:.1f} ms, status {r['status']}\"); [print(f'    {n} failed: {why}') for why, n in r['failures'].items()]"
  echo "  server CPU per request: $(per_request "$work/server-before" "$work/server-after" $((sample_walks * 6))) µs"
  sample_rates+=("$(echo "$out" | field requests_per_second)")
  out=$(load --requests $((walks * 8)) --concurrency $users --json) || true
  echo "round $round, hyper sample server (health checks):"
  echo "$out" | python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"  {r['requests']} requests, {r['requests_per_second']:.0f} requests/s, p50 {r['latency_ms']['p50']:.1f} ms, status {r['status']}\")"
  ping_rates+=("$(echo "$out" | field requests_per_second)")
  stop "$pid"
  trap - EXIT
done
psql "$pgurl/postgres" -qc "DROP DATABASE IF EXISTS $db"
rm -rf "$work"

python3 - "${walk_rates[*]}" "${sample_rates[*]}" "${ping_rates[*]}" <<'PY'
import statistics, sys
walk, sample, ping = ([float(x) for x in arg.split()] for arg in sys.argv[1:4])
print("appointments walk req/s: ", " ".join(f"{w:.0f}" for w in walk))
print("hyper sample walk req/s: ", " ".join(f"{s:.0f}" for s in sample))
print("hyper health check req/s:", " ".join(f"{p:.0f}" for p in ping))
print("walk / sample per round: ", " ".join(f"{w / s:.2f}" for w, s in zip(walk, sample)))
m = statistics.median
print(f"walk / sample walk, medians: {m(walk) / m(sample):.2f} (target >= 0.85)")
print(f"walk / health check, medians: {m(walk) / m(ping):.2f}")
PY
