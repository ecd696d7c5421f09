#!/usr/bin/env bash
# The long fuzz run: every target of the omnigate-fuzz crate (each registered connector's
# verify + normalize, each reply renderer) for FUZZ_CASES inputs each (default 1,000,000), in
# release mode. Prints one "fuzz target NAME: N inputs, no failure" line per connector and
# target; a failure prints the minimal failing input and exits non-zero. Extra arguments filter
# the targets by name (verify_and_normalize, reply_rendering); FUZZ_PROVIDERS=crisp,livechat
# limits the run to some connectors.
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${FUZZ_CASES:-1000000}"
threads="${FUZZ_THREADS:-2}"
echo "fuzz-long: ${cases} inputs per target, ${threads} threads, started $(date -u +%FT%TZ)"
PROPTEST_CASES="$cases" cargo test --release -p omnigate-fuzz --test targets -- \
  --nocapture --test-threads="$threads" "$@"
echo "fuzz-long: finished $(date -u +%FT%TZ)"
