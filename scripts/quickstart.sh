#!/usr/bin/env bash
# README's quick start, end to end and unattended: a gateway on the dev profile, a Naver
# TalkTalk channel approved, the local sink registered as the helpdesk, one visitor message
# posted as Naver would, and the signed event the sink verified and printed.
#
#   scripts/quickstart.sh                          # builds the release binary if needed
#   OMNIGATE_BIN=/path/to/omnigate scripts/quickstart.sh
#   PORT=8080 SINK_PORT=9009 scripts/quickstart.sh # the ports (these are the defaults)
#
# Everything runs on loopback with a temporary data directory; both processes are stopped on
# exit. Needs only curl.
set -euo pipefail
cd "$(dirname "$0")/.."

OMNIGATE=${OMNIGATE_BIN:-./target/release/omnigate}
if [[ ! -x "$OMNIGATE" ]]; then cargo build --release; fi
PORT=${PORT:-8080}
SINK_PORT=${SINK_PORT:-9009}
DATA=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

# A JSON field of the CLI's --json answer, without jq: field NAME < json.
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

# 1. The gateway, on the dev profile (config/dev.toml: a local sink may receive events).
OMNIGATE_ENV=dev OMNIGATE__STORE__PATH="$DATA/data" OMNIGATE__SERVER__PORT="$PORT" \
  "$OMNIGATE" serve > "$DATA/gateway.log" 2>&1 &
PIDS+=($!)
export OMNIGATE_URL="http://127.0.0.1:$PORT"
for _ in $(seq 100); do
  curl -sf "$OMNIGATE_URL/readyz" > /dev/null && break
  sleep 0.1
done
OMNIGATE_TOKEN=$(cat "$DATA/data/admin-token")
export OMNIGATE_TOKEN

# 2. A Naver TalkTalk channel, approved (the send API key is an example: nothing is sent).
CHANNEL=$("$OMNIGATE" --json channels add --provider naver_talktalk --name "Quick start" \
  --credential account_id=wc8b1i --credential send_api_key=ct_quickstart_example_key | field id)
WEBHOOK_URL=$("$OMNIGATE" --json channels request-approval "$CHANNEL" | field webhook_url)
"$OMNIGATE" --json channels approve "$CHANNEL" > /dev/null
echo "channel $CHANNEL takes webhooks at $WEBHOOK_URL"

# 3. The sink as the helpdesk: its signing secret is shown once, when it is registered.
DESTINATION=$("$OMNIGATE" --json destinations add "http://127.0.0.1:$SINK_PORT/events" \
  --event-type 'message.*')
SECRET=$(echo "$DESTINATION" | field secret)
echo "destination $(echo "$DESTINATION" | field id) signs with its own secret"
"$OMNIGATE" sink --listen "127.0.0.1:$SINK_PORT" --secret "$SECRET" > "$DATA/sink.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$DATA/sink.out" 2>/dev/null && break; sleep 0.1; done

# 4. A visitor writes, as Naver would post it.
curl -sf "$WEBHOOK_URL" -H 'content-type: application/json' \
  -d '{"event":"send","user":"al-visitor-1","textContent":{"text":"Hello from the quick start"}}'

# 5. The sink verified the signature and printed the event.
for _ in $(seq 100); do grep -q '^verified message.received' "$DATA/sink.out" && break; sleep 0.1; done
cat "$DATA/sink.out"
grep -q '^verified message.received' "$DATA/sink.out"
