#!/usr/bin/env bash
# Ingest throughput: Naver `send` webhooks into omnigate (embedded store, synchronous=full,
# group commit) against the bare actix-web ceiling, measured in the same run with wrk.
# Usage: scripts/bench-ingest.sh [seconds per point, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet --bin omnigate --example ceiling

DATA=$(mktemp -d)
OG_PORT=18180 CEIL_PORT=18181 TOKEN="ogt_bench_$(date +%s)"
cleanup() { kill "${OG_PID:-}" "${CEIL_PID:-}" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

OMNIGATE__STORE__PATH="$DATA" OMNIGATE__SERVER__PORT=$OG_PORT OMNIGATE__ADMIN__TOKEN="$TOKEN" \
  OMNIGATE__LOG__LEVEL=warn target/release/omnigate serve >/dev/null 2>&1 &
OG_PID=$!
target/release/examples/ceiling $CEIL_PORT >/dev/null 2>&1 &
CEIL_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$OG_PORT/readyz" >/dev/null && break; sleep 0.2; done

api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' "$@"; }
CH=$(api "http://127.0.0.1:$OG_PORT/v1/channels" \
  -d '{"provider":"naver_talktalk","name":"bench","credentials":{"account_id":"wbench","send_api_key":"k"}}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
HOOK=$(api -X POST "http://127.0.0.1:$OG_PORT/v1/channels/$CH/approval-request" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["webhook_url"])')
api -X POST "http://127.0.0.1:$OG_PORT/v1/channels/$CH/approve" >/dev/null
CEIL_URL="http://127.0.0.1:$CEIL_PORT/hooks/x"

# Prints "req/s p50 p99 requests non2xx" for one wrk run.
measure() {
  local url=$1 conns=$2 threads=2
  [ "$conns" -lt 2 ] && threads=1
  wrk -t$threads -c"$conns" -d"${DURATION}s" --latency -s scripts/naver-send.lua "$url" | awk '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2}
    /^ +99%/ {p99=$2}
    / requests in / {total=$1}
    /Non-2xx/ {bad=$NF}
    END {printf "%.0f %s %s %d %d\n", rps, p50, p99, total, bad}'
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -sr); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "command: scripts/bench-ingest.sh $DURATION"
echo
echo "| connections | ceiling req/s | ceiling p50 / p99 | omnigate req/s | omnigate p50 / p99 | omnigate / ceiling |"
echo "|---:|---:|---|---:|---|---:|"
SENT=0 FAILED=0
for c in 1 16 64 256; do
  read -r crps cp50 cp99 _ _ < <(measure "$CEIL_URL" "$c")
  read -r orps op50 op99 total bad < <(measure "$HOOK" "$c")
  SENT=$((SENT + total)) FAILED=$((FAILED + bad))
  ratio=$(python3 -c "print(f'{$orps/$crps:.2f}' if $crps else 'n/a')")
  echo "| $c | $crps | $cp50 / $cp99 | $orps | $op50 / $op99 | $ratio |"
done
STORED=$(python3 -c "import sqlite3,sys; c=sqlite3.connect('file:$DATA/omnigate.db?mode=ro', uri=True); print(c.execute(\"SELECT COUNT(*) FROM events WHERE type='message.received'\").fetchone()[0])")
echo
echo "webhooks sent to omnigate: $SENT, answered non-2xx: $FAILED, events stored: $STORED (wrk counts requests still in flight at the end, so stored may exceed answered by up to the connection count)"
