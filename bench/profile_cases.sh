#!/usr/bin/env bash
# Where the CPU goes while Baton runs cases: a system-wide perf sample (by
# command and by shared object) while one conductor and one worker of 4 slots
# run N cases of /bin/true.
#   bench/profile_cases.sh BROKER_DIR [CASES]
# With PROFILE_STACKS=worker (or conductor) it records that one process's call
# stacks instead (perf --call-graph dwarf: the Release build has no frame
# pointers) and writes the callers of its hottest symbols to stacks.txt.
# BROKER_DIR is a node from `./run.sh broker-start DIR`; binaries come from
# $BATON_BENCH_BUILD/bin (default build-bench/). Output goes to a new
# var/profile-cases/run-* (var/profile-cases/latest points at it). Earlier
# runs are left for you to remove: on ext4 without a journal, files removed
# in the last minute or so make new inodes slow to allocate, and a run
# creates a log directory and a log file per case.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BROKER_DIR=${1:?usage: bench/profile_cases.sh BROKER_DIR [CASES]}
CASES=${2:-1000}
BIN=${BATON_BENCH_BUILD:-$ROOT/build-bench}/bin
OUT=$ROOT/var/profile-cases/run-$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$OUT"
ln -sfn "$OUT" "$ROOT/var/profile-cases/latest"

env_of() { sed -n "s/^$1=//p" "$BROKER_DIR/broker.env"; }
USER_=$(env_of USER) PASSWORD=$(env_of PASSWORD) PORT=$(env_of AMQP_PORT) MGMT=$(env_of MGMT_URL)
mgmt() { curl -fsS -u "$USER_:$PASSWORD" -X "$1" -H 'content-type: application/json' ${3:+--data "$3"} "$MGMT$2" >/dev/null; }
mgmt DELETE /api/vhosts/profile-cases 2>/dev/null || true
mgmt PUT /api/vhosts/profile-cases '{}'
mgmt PUT "/api/permissions/profile-cases/$USER_" '{"configure":".*","write":".*","read":".*"}'
URL="amqp://$USER_:$PASSWORD@127.0.0.1:$PORT/profile-cases"

cat >"$OUT/conductor.yaml" <<EOF
database: {path: $OUT/baton.db}
http: {listen: 127.0.0.1, port: 0, port_file: $OUT/http.port}
log: {level: info, file: ""}
workflows:
  bench_true:
    steps:
      - {name: run, action: run_true, pool: bench, timeout: 1m}
EOF
cat >"$OUT/worker.yaml" <<EOF
worker: {id: profile-1, labels: [bench], slots: 4, gpu: {mode: "off"}}
log: {level: info, file: ""}
jobs: {state_dir: $OUT/state}
actions:
  run_true: {argv: ["/bin/true"], timeout: 1m}
EOF
env BATON_BROKER_URL="$URL" BATON_API_TOKEN= BATON_DATABASE= BATON_HTTP_PORT= \
  "$BIN/baton-conductor" --config "$OUT/conductor.yaml" >"$OUT/conductor.log" 2>&1 &
conductor=$!
env BATON_BROKER_URL="$URL" BATON_WORKER_ID= "$BIN/baton-worker" --config "$OUT/worker.yaml" >"$OUT/worker.log" 2>&1 &
worker=$!
until [[ $(sqlite3 "$OUT/baton.db" "SELECT COUNT(*) FROM workers WHERE status = 'online'" 2>/dev/null) == 1 ]]; do sleep 0.1; done

case ${PROFILE_STACKS:-} in
  "") perf record -a -F 999 -o "$OUT/perf.data" -- sleep 600 >/dev/null 2>&1 & ;;
  worker) perf record -F 999 --call-graph dwarf,16384 -p "$worker" -o "$OUT/perf.data" >/dev/null 2>&1 & ;;
  conductor) perf record -F 999 --call-graph dwarf,16384 -p "$conductor" -o "$OUT/perf.data" >/dev/null 2>&1 & ;;
  *) echo "PROFILE_STACKS is worker or conductor, not '$PROFILE_STACKS'" >&2; exit 2 ;;
esac
perf=$!
sleep 0.5
t0=$(date +%s.%N)
"$BIN/baton-bench-amqp" submit --url "$URL" --count "$CASES" --workflow bench_true --prefix prof >/dev/null
until [[ $(sqlite3 "$OUT/baton.db" "SELECT COUNT(*) FROM cases WHERE status = 'COMPLETED'" 2>/dev/null) == "$CASES" ]]; do
  sleep 0.05
done
t1=$(date +%s.%N)
kill -INT "$perf"
wait "$perf" || true
kill -TERM "$worker" "$conductor"
wait "$worker" "$conductor" || true
awk -v a="$t0" -v b="$t1" -v n="$CASES" 'BEGIN {printf "%d cases in %.2f s: %.0f cases/s\n", n, b - a, n / (b - a)}' | tee "$OUT/rate.txt"
if [[ -n ${PROFILE_STACKS:-} ]]; then
  perf report -i "$OUT/perf.data" --no-children --sort sym --stdio -G --percent-limit 2 2>/dev/null |
    grep -v '^$' | head -n 400 >"$OUT/stacks.txt"
fi
perf report -i "$OUT/perf.data" --sort comm --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 25 >"$OUT/by_comm.txt"
perf report -i "$OUT/perf.data" --sort comm,dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 40 >"$OUT/by_dso.txt"
mgmt DELETE /api/vhosts/profile-cases || true
echo "profile in $OUT (by_comm.txt, by_dso.txt)"
