#!/usr/bin/env bash
# End to end: webhooks at a steady open-loop rate into omnigate (embedded store), delivered to a
# local sink that verifies each signature; baseline: the same sender straight to the sink.
# Usage: scripts/bench-e2e.sh [rate per second, default 2000] [seconds, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
RATE="${1:-2000}" SECONDS_="${2:-60}"
cargo build --release --quiet --bin omnigate -p omnigate -p omnigate-bench

DATA=$(mktemp -d)
PORT=18185 TOKEN="ogt_bench_$(date +%s)"
cleanup() { kill "${OG_PID:-}" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
OMNIGATE__STORE__PATH="$DATA" OMNIGATE__SERVER__PORT=$PORT OMNIGATE__ADMIN__TOKEN="$TOKEN" \
  OMNIGATE__LOG__LEVEL=warn target/release/omnigate serve >/dev/null 2>&1 &
OG_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -sr); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "command: scripts/bench-e2e.sh $RATE $SECONDS_"
target/release/omnigate-bench "http://127.0.0.1:$PORT" "$TOKEN" "$RATE" "$SECONDS_"
echo "gateway peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$OG_PID/status)"
