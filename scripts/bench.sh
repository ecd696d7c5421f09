#!/usr/bin/env bash
# omnigate's benchmark, one command: builds in release mode, starts everything it needs on
# loopback (gateway, bare actix-web ceiling, verifying helpdesk sink, fake Naver send API),
# runs every scenario with its baseline and prints the tables BENCHMARKS.md records.
# Usage: scripts/bench.sh [--quick] [--only ingest,payload,e2e,drain,relay,hanging,cpu]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
  (apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)) \
    || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
fi
cargo build --release --quiet -p omnigate -p omnigate-bench --bins
# Wherever cargo builds (CARGO_TARGET_DIR is honoured).
TARGET=$(scripts/target-dir.sh)
OMNIGATE_BENCH_COMMAND="scripts/bench.sh $*" exec "$TARGET/release/omnigate-bench" --gateway "$TARGET/release/omnigate" "$@"
