#!/usr/bin/env bash
# Runs schemathesis (from PyPI) against a running gateway, driven by its own /openapi.json:
# no answer may be a 5xx, and every answer must match the documented schema.
#
#   scripts/api-conformance.sh            # builds the debug binary if needed
#   OMNIGATE_BIN=/path/to/omnigate scripts/api-conformance.sh
#   EXAMPLES=50 scripts/api-conformance.sh   # more test cases per operation (default 15)
#
# The virtualenv is cached in cargo's target folder (conformance-venv); the gateway runs on a free loopback port
# with a temporary data directory and a known admin token, and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=$(scripts/target-dir.sh)
VENV="$TARGET/conformance-venv"
EXAMPLES=${EXAMPLES:-15}
SEED=${SEED:-}

# Python 3.11 before 3.11.9 trips over an interpreter bug in hypothesis's coverage phase
# ("AST constructor recursion depth mismatch"); take a newer interpreter when there is one.
pick_python() {
  local candidates=("${PYTHON:-}" python3.13 python3.12)
  # pyenv's interpreters, newest first, whether or not pyenv itself is on the PATH.
  local root
  root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
  while IFS= read -r py; do candidates+=("$py"); done \
    < <(ls -d "$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV)
  candidates+=(python3)
  for py in "${candidates[@]}"; do
    [[ -n "$py" ]] || continue
    if "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' >/dev/null 2>&1; then
      echo "$py"
      return
    fi
  done
  echo python3
}

python_ok() {
  "$1" -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 12) or (3, 11, 9) <= v < (3, 12) else 1)'
}

if [[ ! -x "$VENV/bin/schemathesis" ]]; then
  rm -rf "$VENV"
  "$(pick_python)" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi
PHASES=examples,coverage,fuzzing
if ! python_ok "$VENV/bin/python"; then
  echo "api-conformance: $("$VENV/bin/python" --version) cannot run the coverage phase; running examples and fuzzing" >&2
  PHASES=examples,fuzzing
fi

BIN=${OMNIGATE_BIN:-}
if [[ -z "$BIN" ]]; then
  cargo build --quiet --bin omnigate
  BIN="$TARGET/debug/omnigate"
fi

DATA=$(mktemp -d)
LOG="$DATA/gateway.log"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN="ogt_conformance-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

cleanup() {
  if [[ -n "${GATEWAY:-}" ]]; then
    kill "$GATEWAY" 2>/dev/null || true
    wait "$GATEWAY" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

# Deliveries and replies go nowhere useful here: short timeouts and one attempt keep the
# background work from piling up while requests are fuzzed. The fakes are on loopback, and
# flood control (tested in tests/api/hardening) would only stand between the fuzzer and the
# handlers.
OMNIGATE__SERVER__HOST=127.0.0.1 \
OMNIGATE__SERVER__PORT="$PORT" \
OMNIGATE__STORE__PATH="$DATA/store" \
OMNIGATE__STORE__SYNCHRONOUS=normal \
OMNIGATE__ADMIN__TOKEN="$TOKEN" \
OMNIGATE__DELIVERY__RETRY_SCHEDULE=0s \
OMNIGATE__DELIVERY__REQUEST_TIMEOUT=1s \
OMNIGATE__RELAY__RETRY_SCHEDULE=0s \
OMNIGATE__RELAY__REQUEST_TIMEOUT=1s \
OMNIGATE__PROVIDERS__NAVER_TALKTALK__API_BASE=http://127.0.0.1:9 \
OMNIGATE__SECURITY__ALLOW_PRIVATE_DESTINATIONS=true \
OMNIGATE__SECURITY__WEBHOOK_RATE_PER_SECOND=0 \
OMNIGATE__SECURITY__API_RATE_PER_SECOND=0 \
OMNIGATE__SECURITY__AUTH_FAILURES_PER_MINUTE=0 \
OMNIGATE__LOG__LEVEL=warn \
  "$BIN" serve >"$LOG" 2>&1 &
GATEWAY=$!

BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$GATEWAY" 2>/dev/null; then
    echo "api-conformance: the gateway did not start:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  sleep 0.1
done

# Real resources, so generated requests reach the handlers' logic instead of stopping at 404.
api() { # METHOD PATH [JSON]
  curl -fsS -X "$1" "$BASE$2" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    ${3:+-d "$3"}
}
field() { python3 -c 'import json, sys; v = json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[int(k)] if k.isdigit() else v[k]
print(v)' "$1"; }

CHANNEL=$(api POST /v1/channels '{"provider":"naver_talktalk","name":"Conformance","credentials":{"account_id":"wc8b1i","send_api_key":"ct_conformance"}}' | field id)
HOOK_URL=$(api POST "/v1/channels/$CHANNEL/approval-request" | field webhook_url)
api POST "/v1/channels/$CHANNEL/approve" >/dev/null
HOOK_KEY=${HOOK_URL##*/}
DESTINATION=$(api POST /v1/destinations '{"url":"http://127.0.0.1:9/closed"}' | field id)
CHATWOOT_JSON=$(api POST /v1/destinations '{"kind":"chatwoot","base_url":"http://127.0.0.1:9","account_id":1,"inbox_id":1,"api_access_token":"conformance","allow_unsigned_callbacks":true}')
CHATWOOT=$(printf '%s' "$CHATWOOT_JSON" | field id)
CALLBACK_SECRET=$(printf '%s' "$CHATWOOT_JSON" | field callback_url | sed 's#.*/##')
curl -fsS "$HOOK_URL" -H 'content-type: application/json' \
  -d '{"event":"send","user":"conformance-user","textContent":{"text":"hello","inputType":"typing"}}'
EVENT=$(api GET '/v1/events?type=message.received&limit=1' | field items.0.data.event_id)
CONVERSATION=$(api GET '/v1/events?type=message.received&limit=1' | field items.0.data.conversation.id)
MESSAGE=$(api POST "/v1/conversations/$CONVERSATION/messages" '{"content":{"type":"text","text":"hi"}}' | field id)
DELIVERY=$(api GET "/v1/deliveries?destination=$DESTINATION&limit=1" | field items.0.id)
TOKEN_ID=$(api POST /v1/tokens '{"role":"helpdesk","label":"conformance"}' | field id)

CONFIG="$DATA/schemathesis.toml"
pin() { # PATH-REGEX PARAMETER VALUE
  printf '[[operations]]\ninclude-path-regex = "%s"\nparameters = { "path.%s" = "%s" }\n\n' "$1" "$2" "$3" >>"$CONFIG"
}
: >"$CONFIG"
pin '^/v1/channels/\\{id\\}' id "$CHANNEL"
pin '^/v1/destinations/\\{id\\}' id "$DESTINATION"
printf '[[operations]]\ninclude-path-regex = "%s"\nparameters = { "path.destination_id" = "%s", "path.secret" = "%s" }\n\n' \
  '^/v1/helpdesks/chatwoot/' "$CHATWOOT" "$CALLBACK_SECRET" >>"$CONFIG"
pin '^/v1/events/\\{id\\}' id "$EVENT"
pin '^/v1/deliveries/\\{id\\}' id "$DELIVERY"
pin '^/v1/conversations/\\{id\\}' id "$CONVERSATION"
pin '^/v1/messages/\\{id\\}' id "$MESSAGE"
pin '^/v1/tokens/\\{id\\}' id "$TOKEN_ID"
pin '^/hooks/\\{key\\}$' key "$HOOK_KEY"

args=(
  --config-file "$CONFIG"
  run "$BASE/openapi.json"
  --checks not_a_server_error,response_schema_conformance
  --header "Authorization: Bearer $TOKEN"
  --max-examples "$EXAMPLES"
  --phases "$PHASES"
  --request-timeout 10
  --suppress-health-check all
  --workers 2
  --no-shrink
  # A stream of events never ends by itself; tests/api/event_stream.rs drives it instead.
  --exclude-path /v1/events/stream
)
if [[ -n "$SEED" ]]; then args+=(--seed "$SEED"); fi

status=0
# Run from the temporary directory: schemathesis keeps a cache in its working directory.
SCHEMATHESIS=$VENV/bin/schemathesis
(cd "$DATA" && "$SCHEMATHESIS" "${args[@]}") || status=$?
if [[ $status -ne 0 ]]; then
  echo "api-conformance: schemathesis failed (exit $status); the gateway's log:" >&2
  tail -n 200 "$LOG" >&2
fi
exit $status
