#!/usr/bin/env bash
# Profiles baton-conductor draining a preloaded inbox with perf: a flat
# profile by thread and symbol, plus context switches and syscalls.
#   bench/profile_ingest.sh BROKER_DIR [EVENTS]
# BROKER_DIR is a node from `./run.sh broker-start DIR`; binaries come from
# build-bench/ (bench/run.sh builds them). Output goes to var/profile/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BROKER_DIR=${1:?usage: bench/profile_ingest.sh BROKER_DIR [EVENTS]}
EVENTS=${2:-60000}
BIN=${BATON_BENCH_BUILD:-$ROOT/build-bench}/bin
OUT=$ROOT/var/profile
rm -rf "$OUT"
mkdir -p "$OUT"

env_of() { sed -n "s/^$1=//p" "$BROKER_DIR/broker.env"; }
USER_=$(env_of USER) PASSWORD=$(env_of PASSWORD) PORT=$(env_of AMQP_PORT) MGMT=$(env_of MGMT_URL)
mgmt() { curl -fsS -u "$USER_:$PASSWORD" -X "$1" -H 'content-type: application/json' ${3:+--data "$3"} "$MGMT$2" >/dev/null; }
mgmt DELETE /api/vhosts/profile 2>/dev/null || true
mgmt PUT /api/vhosts/profile '{}'
mgmt PUT "/api/permissions/profile/$USER_" '{"configure":".*","write":".*","read":".*"}'
URL="amqp://$USER_:$PASSWORD@127.0.0.1:$PORT/profile"

"$BIN/baton-bench-amqp" preload --url "$URL" --count "$EVENTS" --workers 200 >"$OUT/preload.json"
cat >"$OUT/conductor.yaml" <<EOF
broker:
  prefetch: 200
database:
  path: $OUT/baton.db
http:
  listen: 127.0.0.1
  port: 0
log:
  level: info
  file: ""
EOF
"$BIN/baton-bench-amqp" watch --url "$URL" >"$OUT/watch.json" &
watch_pid=$!
sleep 0.2
env BATON_BROKER_URL="$URL" BATON_API_TOKEN= BATON_DATABASE= BATON_HTTP_PORT= \
  perf record -F 2999 -g -o "$OUT/perf.data" -- "$BIN/baton-conductor" --config "$OUT/conductor.yaml" \
  >"$OUT/conductor.log" 2>&1 &
perf_pid=$!
wait "$watch_pid"
sleep 1
kill -TERM "$(pgrep -P "$perf_pid")" || true  # the conductor, perf's only child
wait "$perf_pid" || true
python3 -c 'import json,sys; w=json.load(open(sys.argv[1])); print("msgs/s", int(sys.argv[2]) / (w["t_end"] - w["t_first"]))' \
  "$OUT/watch.json" "$EVENTS" | tee "$OUT/rate.txt"
perf report -i "$OUT/perf.data" --no-children --sort comm,dso,sym --stdio 2>/dev/null | head -n 120 >"$OUT/flat.txt"
perf report -i "$OUT/perf.data" --no-children --sort comm --stdio 2>/dev/null | grep -v '^#' | head -n 20 >"$OUT/threads.txt"
mgmt DELETE /api/vhosts/profile || true
echo "profile in $OUT (flat.txt, threads.txt)"
