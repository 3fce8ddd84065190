#!/usr/bin/env bash
# The dashboard in a real browser against a real system: the ctest fixture's
# private RabbitMQ (a vhost of its own), a conductor, a worker, a case and a
# failing check. Asserts the worker, the case and the alert are shown, that
# the page updates live when another case is submitted, and keeps desktop and
# phone screenshots in ARTIFACT_DIR.
#
#   tests/browser/dashboard_e2e.sh BIN_DIR ARTIFACT_DIR   (BATON_TEST_BROKER_DIR set)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin=${1:?usage: dashboard_e2e.sh BIN_DIR ARTIFACT_DIR}
artifacts=${2:?usage: dashboard_e2e.sh BIN_DIR ARTIFACT_DIR}
: "${BATON_TEST_BROKER_DIR:?set by the ctest broker fixture}"

if ! command -v chromium >/dev/null; then
  echo "dashboard_e2e: chromium is not installed (./run.sh test installs it)" >&2
  exit 1
fi
# shellcheck disable=SC1091
source "$BATON_TEST_BROKER_DIR/broker.env"
work=$(mktemp -d /tmp/baton-browser.XXXXXX)
vhost="browser-$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  curl -fsS -u "$USER:$PASSWORD" -X DELETE "$MGMT_URL/api/vhosts/$vhost" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$artifacts"

curl -fsS -u "$USER:$PASSWORD" -X PUT "$MGMT_URL/api/vhosts/$vhost" >/dev/null
curl -fsS -u "$USER:$PASSWORD" -X PUT -H 'content-type: application/json' \
  -d '{"configure":".*","write":".*","read":".*"}' "$MGMT_URL/api/permissions/$vhost/$USER" >/dev/null
broker_url="amqp://$USER:$PASSWORD@127.0.0.1:$AMQP_PORT/$vhost"

cat >"$work/conductor.yaml" <<YAML
database:
  path: $work/baton.db
http:
  port: 0
  port_file: $work/port
  token: browser-token
workers:
  missed_heartbeats: 3
log:
  level: info
  file: $work/conductor.log
checks:
  results_dir_present:
    type: file
    params: {path: "$work/results"}
    every: 1s
alerts:
  soft_states: 1
workflows:
  demo:
    steps:
      - {name: nap, action: sleep, pool: browser, params: {seconds: "{seconds}"}}
YAML
cat >"$work/worker.yaml" <<YAML
worker:
  id: browser-worker
  labels: [browser]
  slots: 2
  heartbeat_interval: 500ms
jobs:
  state_dir: $work/worker
log:
  level: info
  file: $work/worker.log
actions:
  sleep:
    argv: [/bin/sleep, "{seconds}"]
    params:
      seconds: {type: integer, min: 0, max: 600}
YAML

BATON_BROKER_URL=$broker_url "$bin/baton-conductor" --config "$work/conductor.yaml" >"$work/conductor.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.1; done
[[ -s $work/port ]] || { echo "conductor did not start:"; cat "$work/conductor.out"; exit 1; }
url="http://127.0.0.1:$(cat "$work/port")"
BATON_BROKER_URL=$broker_url "$bin/baton-worker" --config "$work/worker.yaml" >"$work/worker.out" 2>&1 &
pids+=($!)

post() {
  curl -fsS -H 'Authorization: Bearer browser-token' -H 'content-type: application/json' -d "$2" "$url$1" >/dev/null
}
# Waits (up to 30 s) until the overview JSON contains the text.
await_overview() {
  for _ in $(seq 300); do
    curl -fsS "$url/api/v1/overview" 2>/dev/null | grep -q "$1" && return 0
    sleep 0.1
  done
  echo "the overview never showed $1"; curl -sS "$url/api/v1/overview"; exit 1
}
await_overview '"id":"browser-worker"'
post /api/v1/cases '{"id":"browser-case-1","workflow":"demo","params":{"seconds":"30"}}'
await_overview '"id":"browser-case-1"'
await_overview 'check:browser-worker/results_dir_present'

"$here/run_dashboard_check.sh" --url "$url" \
  --expect browser-worker --expect browser-case-1 --expect "results_dir_present on browser-worker" \
  --post-path /api/v1/cases --token browser-token \
  --post-body '{"id":"browser-case-2","workflow":"demo","params":{"seconds":"30"}}' \
  --wait-for browser-case-2 \
  --screenshot "$artifacts/dashboard.png" --phone-screenshot "$artifacts/dashboard-phone.png"
echo "dashboard checked; screenshots in $artifacts"
