#!/usr/bin/env bash
# Runs the crypto benchmarks and `openssl speed rsa2048` on this machine and prints the two ratios the
# performance targets are stated in:
#   (i)  aws-lc round trip (decrypt + encrypt)          / OpenSSL RSA-2048 private-key op   target <= 1.10
#   (ii) pure-Rust round trip (the crate's default backend without features) / bare rsa OAEP decrypt
#                                                                                           target <= 1.10
# Usage: benches/ratios.sh [--no-bench] [--check] [--wall]
#   --no-bench  reuse the last criterion results instead of re-running `cargo bench`
#   --check     exit 1 if a ratio misses its target
#   --wall      wall-clock time on both sides (criterion's default, `openssl speed -elapsed`) instead
#               of CPU time on both sides (`openssl speed`'s default, FLOWS_BENCH_CLOCK=cpu for the
#               bench). CPU time keeps the ratios honest on a machine that is busy with other work.
#   BENCH_FILTER='round_trip|baseline' benches/ratios.sh   runs only the benchmarks the ratios need
set -euo pipefail
cd "$(dirname "$0")/.."

run_bench=1 check=0 clock=cpu
for arg in "$@"; do
  case "$arg" in
    --no-bench) run_bench=0 ;;
    --check) check=1 ;;
    --wall) clock=wall ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
clock_file="$target_dir/criterion/flows-benches-clock"

if (( run_bench )); then
  if [[ "$clock" == cpu ]]; then
    FLOWS_BENCH_CLOCK=cpu cargo bench -p flows-benches --bench crypto -- ${BENCH_FILTER:+"$BENCH_FILTER"}
  else
    cargo bench -p flows-benches --bench crypto -- ${BENCH_FILTER:+"$BENCH_FILTER"}
  fi
  echo "$clock" >"$clock_file"
else
  clock=$(cat "$clock_file" 2>/dev/null || echo wall)
fi
speed_out=$(mktemp)
trap 'rm -f "$speed_out"' EXIT
# Both sides on the same clock: by default openssl divides by its CPU time; -elapsed makes it wall-clock.
speed=(openssl speed -seconds 3 rsa2048)
if [[ "$clock" == wall ]]; then speed=(openssl speed -elapsed -seconds 3 rsa2048); fi
echo "running: ${speed[*]} ($(openssl version)); criterion clock: $clock time" >&2
"${speed[@]}" >"$speed_out" 2>/dev/null

python3 - "$target_dir/criterion" "$speed_out" "$check" "$clock" <<'PY'
import json, pathlib, sys

criterion, speed_path, check = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3] == "1"
clock = sys.argv[4]

def mean_ns(*parts):
    path = criterion.joinpath(*parts, "new", "estimates.json")
    if not path.exists():
        sys.exit(f"missing {path}: run the crypto bench first (cargo bench -p flows-benches --bench crypto)")
    return json.loads(path.read_text())["mean"]["point_estimate"]

def best_ns(*parts):
    """The fastest sample's time per iteration: what the code costs when nothing else gets in the way."""
    sample = json.loads(criterion.joinpath(*parts, "new", "sample.json").read_text())
    return min(t / n for t, n in zip(sample["times"], sample["iters"]))

# `openssl speed` prints a header row naming the columns ("sign verify sign/s verify/s", and in
# OpenSSL >= 3.2 also encrypt/decrypt columns) and a row "rsa 2048 bits <values...>".
lines = speed_path.read_text().splitlines()
header = next(l.split() for l in lines if "sign/s" in l)
row = next(l.split() for l in lines if l.split()[:1] == ["rsa"] and "2048" in l.split()[:3])
values = row[row.index("bits") + 1:]
sign_per_s = float(values[header.index("sign/s")].rstrip("s"))
openssl_ns = 1e9 / sign_per_s

aws_rt = mean_ns("round_trip", "aws-lc")
rust_rt = mean_ns("round_trip", "rustcrypto")
bare_rsa = mean_ns("baseline", "rsa_oaep_decrypt")
bare_aws = mean_ns("baseline", "aws_lc_oaep_decrypt")

def us(ns):
    return f"{ns / 1000:9.1f} us"

print()
print(f"all times are {clock} time")
print(f"openssl speed rsa2048      {sign_per_s:9.1f} sign/s  = {us(openssl_ns)} per private-key op")
print(f"bare aws-lc OAEP decrypt   {us(bare_aws)}")
print(f"bare rsa OAEP decrypt      {us(bare_rsa)}")
print(f"round trip, aws-lc         {us(aws_rt)}")
print(f"round trip, rustcrypto     {us(rust_rt)}")
for backend in ("aws-lc", "rustcrypto"):
    try:
        print(f"  decrypt_request {backend:10} {us(mean_ns('decrypt_request', backend))}, "
              f"encrypt_response {us(mean_ns('encrypt_response', backend))}")
    except SystemExit:
        pass
print()

ratios = [
    ("(i)  aws-lc round trip / openssl rsa2048 sign", aws_rt / openssl_ns),
    ("(ii) rustcrypto round trip / bare rsa oaep_decrypt", rust_rt / bare_rsa),
]
missed = False
for name, ratio in ratios:
    ok = ratio <= 1.10
    missed |= not ok
    print(f"{name:52} {ratio:6.3f}  (target <= 1.10: {'ok' if ok else 'MISSED'})")
print(f"{'     for reference: aws-lc round trip / bare aws-lc':52} {aws_rt / bare_aws:6.3f}")
# Means move with whatever else the machine runs (the two sides are measured at different moments);
# the fastest samples show the code's own overhead.
print()
print("from the fastest sample of each benchmark (less sensitive to other load on the machine):")
print(f"{'(ii) rustcrypto round trip / bare rsa oaep_decrypt':52} "
      f"{best_ns('round_trip', 'rustcrypto') / best_ns('baseline', 'rsa_oaep_decrypt'):6.3f}")
print(f"{'     aws-lc round trip / bare aws-lc':52} "
      f"{best_ns('round_trip', 'aws-lc') / best_ns('baseline', 'aws_lc_oaep_decrypt'):6.3f}")
sys.exit(1 if check and missed else 0)
PY
