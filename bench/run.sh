#!/usr/bin/env bash
# Baton's benchmarks: builds Release binaries, starts a private RabbitMQ of its
# own, measures event ingest against a raw rabbitmq-c consumer, case throughput
# (with the CPU time per case, and the machine's ceiling for starting /bin/true)
# and dispatch latency against Celery on the same broker, footprint,
# microbenchmarks and a rate-limited scale probe, and writes docs/BENCHMARKS.md
# plus docs/benchmarks/latest.json. Not part of ./run.sh test; nothing here is
# a pass/fail threshold.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
  cat <<EOF
usage: bench/run.sh [--quick] [--reps N] [--events N] [--no-build]

  (default)   3 repetitions, 100k events per ingest run, 1000 cases per
              throughput run, 200 latency samples, 20 s per scale step,
              2000 /bin/true starts per core for the spawn ceiling;
              writes docs/BENCHMARKS.md and docs/benchmarks/latest.json
  --quick     smoke run: 1 repetition, 10k events, 200 cases, 30 latency
              samples, 3 s per scale step, 1000 starts per core; writes its
              report under \$BATON_BENCH_WORK (var/bench/) only
  --reps N    repetitions of the ingest comparison and microbenchmarks
  --events N  events preloaded per ingest run
  --no-build  use the binaries already in the build directory
  --only LIST comma list of stages to run: ingest,cases,latency,footprint,micro,scale
              (default: all); the report covers what ran
  --out NAME  write the JSON to docs/benchmarks/history/NAME.json (a column of
              later reports' before/after table) and the page to var/bench/NAME.md

environment:
  BATON_BENCH_SOURCE   source tree to build (default: this repository)
  BATON_BENCH_BUILD    build directory (default: \$BATON_BENCH_SOURCE/build-bench)
  BATON_BENCH_WORK     broker, logs and raw results (default: var/bench)
  BATON_BENCH_JOBS     parallel build jobs (default: nproc)
  BATON_BENCH_LABEL    appended to the commit in the report (e.g. which patch the
                       source tree carries)
EOF
}

QUICK=0
REPS=3
EVENTS=100000
SCALE_SECONDS=20
CASES=1000
CASE_SLOTS=4
LATENCY_COUNT=200
LATENCY_INTERVAL_MS=100
BIGDB_CASES=100000
IDLE_SECONDS=12
SPAWN_COUNT=2000
BUILD_FIRST=1
ONLY=ingest,cases,latency,footprint,micro,scale
OUT_NAME=
COMMAND_LINE="${BATON_BENCH_SOURCE:+BATON_BENCH_SOURCE=$BATON_BENCH_SOURCE }bench/run.sh${*:+ $*}"
while (($#)); do
  case $1 in
    --quick) QUICK=1; REPS=1; EVENTS=10000; SCALE_SECONDS=3; CASES=200; LATENCY_COUNT=30; BIGDB_CASES=10000; IDLE_SECONDS=4; SPAWN_COUNT=1000 ;;
    --reps) REPS=$2; shift ;;
    --events) EVENTS=$2; shift ;;
    --no-build) BUILD_FIRST=0 ;;
    --only) ONLY=$2; shift ;;
    --out) OUT_NAME=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
WORKERS=200
((EVENTS % WORKERS == 0)) || { echo "bench/run.sh: --events must be a multiple of $WORKERS" >&2; exit 2; }

SRC=${BATON_BENCH_SOURCE:-$ROOT}
BUILD=${BATON_BENCH_BUILD:-$SRC/build-bench}
WORK=${BATON_BENCH_WORK:-$ROOT/var/bench}
JOBS=${BATON_BENCH_JOBS:-$(nproc)}
BIN=$BUILD/bin
BROKER_DIR=$WORK/broker
RESULTS=$WORK/results
HISTORY_DIR=$ROOT/docs/benchmarks/history
if [[ -n $OUT_NAME ]]; then
  OUT_MD=$WORK/$OUT_NAME.md
  OUT_JSON=$HISTORY_DIR/$OUT_NAME.json
elif ((QUICK)); then
  OUT_MD=$WORK/BENCHMARKS.md
  OUT_JSON=$WORK/quick.json
else
  OUT_MD=$ROOT/docs/BENCHMARKS.md
  OUT_JSON=$ROOT/docs/benchmarks/latest.json
fi

stage() { [[ ,$ONLY, == *,$1,* ]]; }

say() { printf 'bench: %s (load %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2; }
die() { say "error: $*"; exit 1; }
now() { date +%s.%N; }

# Load average next to every stage's numbers: the machine is shared.
note_load() {
  printf '{"stage": "%s", "t": %s, "loadavg": [%s]}\n' "$1" "$(now)" \
    "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ',')" >>"$RESULTS/load.jsonl"
}

# ---------------------------------------------------------------- packages --

PACKAGES=(
  build-essential cmake pkg-config librabbitmq-dev libprotobuf-dev protobuf-compiler
  libspdlog-dev libsqlite3-dev sqlite3 libyaml-cpp-dev libboost-dev libcli11-dev
  nlohmann-json3-dev libbenchmark-dev rabbitmq-server curl python3 binutils python3-celery
)

ensure_packages() {
  command -v dpkg-query >/dev/null 2>&1 || { say "not Debian; make sure these are installed: ${PACKAGES[*]}"; return 0; }
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) == "install ok installed" ]] || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  if ((EUID != 0)); then
    die "missing packages: ${missing[*]} (sudo apt-get install -y --no-install-recommends ${missing[*]})"
  fi
  say "installing: ${missing[*]}"
  # Keep the system rabbitmq-server service from starting; we run our own node.
  local policy=/usr/sbin/policy-rc.d own_policy=0 rc=0
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1; fi
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" || rc=$?
  ((own_policy)) && rm -f "$policy"
  ((rc == 0)) || die "apt-get failed (exit $rc)"
}

# ------------------------------------------------------------------ process --

PIDS=()
BROKER_STARTED=0
PREVIOUS_WORK=

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ((BROKER_STARTED)); then "$ROOT/run.sh" broker-stop "$BROKER_DIR" || true; fi
  if [[ -n $PREVIOUS_WORK ]]; then rm -rf "$PREVIOUS_WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts "$@" in the background with output in $1's log; sets REPLY to the pid.
spawn() {
  local log=$1
  shift
  "$@" </dev/null >"$log" 2>&1 &
  REPLY=$!
  PIDS+=("$REPLY")
}

stop_and_wait() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid did not stop within 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# {"rss_kb", "hwm_kb", "pss_kb", "anon_kb"} of a running process: most of the
# RSS of a small process is shared-library code, which PSS splits fairly.
memory_json() {
  awk '/^VmRSS:/ {rss = $2} /^VmHWM:/ {hwm = $2} /^Pss:/ {pss = $2} /^Anonymous:/ {anon = $2} /^Threads:/ {thr = $2}
    END {printf "{\"rss_kb\": %d, \"hwm_kb\": %d, \"pss_kb\": %d, \"anon_kb\": %d, \"threads\": %d}", rss, hwm, pss, anon, thr}' \
    "/proc/$1/status" "/proc/$1/smaps_rollup"
}

wait_for_file() {
  local f=$1 pid=$2 i
  for ((i = 0; i < 300; i++)); do
    [[ -s $f ]] && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ------------------------------------------------------------------- broker --

mgmt() {
  local method=$1 path=$2 body=${3:-}
  curl -fsS -u "$B_USER:$B_PASSWORD" -X "$method" -H 'content-type: application/json' \
    ${body:+--data "$body"} "$B_MGMT_URL$path" >/dev/null
}

# A fresh vhost per measurement, so queues and stats never carry over.
new_vhost() {
  local vh=$1
  mgmt DELETE "/api/vhosts/$vh" 2>/dev/null || true
  mgmt PUT "/api/vhosts/$vh" '{}'
  mgmt PUT "/api/permissions/$vh/$B_USER" '{"configure":".*","write":".*","read":".*"}'
  REPLY="amqp://$B_USER:$B_PASSWORD@127.0.0.1:$B_AMQP_PORT/$vh"
}

drop_vhost() { mgmt DELETE "/api/vhosts/$1" || true; }

amqp_tool() { "$BIN/baton-bench-amqp" "$@"; }

# ---------------------------------------------------------------- conductor --

# wait_for_conductor DIR PID: its HTTP port is written and /health answers 200
# (it is connected to the broker); fails when the process ends or after 30 s.
wait_for_conductor() {
  local dir=$1 pid=$2 i
  wait_for_file "$dir/http.port" "$pid" || return 1
  for ((i = 0; i < 300; i++)); do
    curl -fs -o /dev/null "http://127.0.0.1:$(cat "$dir/http.port")/health" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# broker_section [PREFETCH]: the broker: keys the benchmark sets, if any
# (BENCH_PERSISTENT_MESSAGES=false: the Baton variant without persistence).
broker_section() {
  local prefetch=${1:-}
  [[ -n $prefetch || -n ${BENCH_PERSISTENT_MESSAGES:-} ]] || return 0
  printf 'broker:\n'
  if [[ -n $prefetch ]]; then printf '  prefetch: %d\n' "$prefetch"; fi
  if [[ -n ${BENCH_PERSISTENT_MESSAGES:-} ]]; then printf '  persistent_messages: %s\n' "$BENCH_PERSISTENT_MESSAGES"; fi
}

# Writes a conductor config for a run in DIR (database, port file, console
# log). The broker's prefetch is the conductor's default unless
# CONDUCTOR_PREFETCH is set (the ingest stage gives it the raw consumer's 200).
conductor_config() {
  local dir=$1 extra=${2:-}
  mkdir -p "$dir"
  broker_section "${CONDUCTOR_PREFETCH:-}" >"$dir/conductor.yaml"
  cat >>"$dir/conductor.yaml" <<EOF
database:
  path: $dir/baton.db
http:
  listen: 127.0.0.1
  port: 0
  port_file: $dir/http.port
log:
  level: info
  file: ""
EOF
  if [[ -n $extra ]]; then cat "$extra" >>"$dir/conductor.yaml"; fi
}

# start_conductor DIR URL [EXTRA_YAML]: EXTRA_YAML is appended to the config.
start_conductor() {
  local dir=$1 url=$2
  conductor_config "$dir" "${3:-}"
  spawn "$dir/conductor.log" env BATON_BROKER_URL="$url" BATON_API_TOKEN= BATON_DATABASE= BATON_HTTP_PORT= \
    "$BIN/baton-conductor" --config "$dir/conductor.yaml"
}

# ------------------------------------------------------------------- ingest --

# One preload + drain by the raw consumer; appends a JSON line to ingest.jsonl.
ingest_raw() {
  local rep=$1 url=$2 dir=$3
  mkdir -p "$dir"
  amqp_tool preload --url "$url" --count "$EVENTS" --workers "$WORKERS" >"$dir/preload-raw.json"
  spawn "$dir/watch-raw.json" "$BIN/baton-bench-amqp" watch --url "$url"
  local watch_pid=$REPLY
  sleep 0.2
  local t_spawn broker broker_before
  broker=$(broker_pid)
  broker_before=$(cpu_self_ticks "$broker")
  t_spawn=$(now)
  amqp_tool drain --url "$url" --count "$EVENTS" --prefetch 200 --ack-every 100 >"$dir/drain-raw.json"
  wait "$watch_pid" || die "watch failed: $(cat "$dir/watch-raw.json")"
  # The broker's own CPU over the drain (from the consumer's start to its
  # last ack), beside the consumer's (its getrusage, in drain-raw.json).
  local broker_ms
  broker_ms=$(ticks_ms "$(($(cpu_self_ticks "$broker") - broker_before))")
  local left
  left=$(amqp_tool depth --url "$url")
  printf '{"rep": %d, "kind": "raw", "events": %d, "t_spawn": %s, "preload": %s, "watch": %s, "consumer": %s, "ready_after_close": %d, "broker_cpu_ms": %d}\n' \
    "$rep" "$EVENTS" "$t_spawn" "$(cat "$dir/preload-raw.json")" "$(cat "$dir/watch-raw.json")" \
    "$(cat "$dir/drain-raw.json")" "$left" "$broker_ms" >>"$RESULTS/ingest.jsonl"
}

# One preload + drain by baton-conductor; checks the database afterwards.
ingest_conductor() {
  local rep=$1 url=$2 dir=$3
  mkdir -p "$dir"
  amqp_tool preload --url "$url" --count "$EVENTS" --workers "$WORKERS" >"$dir/preload-conductor.json"
  spawn "$dir/watch-conductor.json" "$BIN/baton-bench-amqp" watch --url "$url"
  local watch_pid=$REPLY
  sleep 0.2
  local t_spawn broker broker_before
  broker=$(broker_pid)
  broker_before=$(cpu_self_ticks "$broker")
  t_spawn=$(now)
  CONDUCTOR_PREFETCH=200 start_conductor "$dir/conductor" "$url"
  local conductor_pid=$REPLY
  wait "$watch_pid" || die "watch failed: $(cat "$dir/watch-conductor.json")"
  # CPU from the conductor's start to the queue's drain (its start-up
  # included, its last window not), the broker's over the same time.
  local broker_ms conductor_cpu_ms
  broker_ms=$(ticks_ms "$(($(cpu_self_ticks "$broker") - broker_before))")
  conductor_cpu_ms=$(ticks_ms "$(cpu_ticks "$conductor_pid")")
  # Ready is 0; the last prefetch window is still being committed and acked.
  sleep 1
  kill -0 "$conductor_pid" 2>/dev/null || die "the conductor exited; see $dir/conductor/conductor.log"
  local mem
  mem=$(memory_json "$conductor_pid")
  stop_and_wait "$conductor_pid"
  # After the conductor's connection is gone, anything it had not acked would
  # be ready again.
  local left
  left=$(amqp_tool depth --url "$url")
  local db_check
  db_check=$(sqlite3 "$dir/conductor/baton.db" \
    "SELECT COUNT(*) || ' ' || MIN(last_sequence) || ' ' || MAX(last_sequence) FROM workers")
  local n min max
  read -r n min max <<<"$db_check"
  local applied
  applied=$(sed -nE 's/.* ([0-9]+) events applied in ([0-9]+) batches.*/\1 \2/p' "$dir/conductor/conductor.log" | tail -n 1)
  printf '{"rep": %d, "kind": "conductor", "events": %d, "t_spawn": %s, "preload": %s, "watch": %s, "memory_after": %s, "ready_after_close": %d, "db_workers": %d, "db_min_sequence": %d, "db_max_sequence": %d, "expected_sequence": %d, "applied_batches": "%s", "broker_cpu_ms": %d, "consumer_cpu_ms": %d}\n' \
    "$rep" "$EVENTS" "$t_spawn" "$(cat "$dir/preload-conductor.json")" "$(cat "$dir/watch-conductor.json")" "$mem" \
    "$left" "$n" "$min" "$max" "$((EVENTS / WORKERS))" "$applied" "$broker_ms" "$conductor_cpu_ms" >>"$RESULTS/ingest.jsonl"
  if ((n != WORKERS || min != EVENTS / WORKERS || max != EVENTS / WORKERS || left != 0)); then
    die "conductor run $rep: database has $n workers with sequences $min..$max (expected $WORKERS at $((EVENTS / WORKERS))), $left messages left"
  fi
}

bench_ingest() {
  local rep vh
  for ((rep = 1; rep <= REPS; rep++)); do
    new_vhost "bench-ingest-$rep"
    local url=$REPLY dir=$WORK/ingest/$rep
    rm -rf "$dir"
    # Alternate the order, so neither side always runs on a warmer broker.
    if ((rep % 2)); then
      say "ingest $rep/$REPS: raw consumer, then baton-conductor ($EVENTS events)"
      ingest_raw "$rep" "$url" "$dir"
      ingest_conductor "$rep" "$url" "$dir"
    else
      say "ingest $rep/$REPS: baton-conductor, then raw consumer ($EVENTS events)"
      ingest_conductor "$rep" "$url" "$dir"
      ingest_raw "$rep" "$url" "$dir"
    fi
    drop_vhost "bench-ingest-$rep"
  done
}

# -------------------------------------------------------------------- micro --

bench_micro() {
  say "microbenchmarks ($REPS repetitions)"
  local min_time=0.5
  ((QUICK)) && min_time=0.05
  "$BIN/baton_micro_bench" --benchmark_repetitions="$REPS" --benchmark_report_aggregates_only="$((REPS > 1))" \
    --benchmark_min_time="$min_time" --benchmark_out="$RESULTS/micro.json" --benchmark_out_format=json >&2
}

# -------------------------------------------------------------------- scale --

bench_scale() {
  local rate kind
  : >"$RESULTS/scale.jsonl"
  for rate in 1000 5000 10000; do
    # A fleet where each worker sends one check result a second (its four
    # checks every 4 s) and heartbeats every 5 s, as Sensu's 12,000 agents /
    # 8,500 events/s are counted. First the raw consumer under the same load,
    # which says whether this machine's broker and load generator sustain it.
    local workers=$rate
    for kind in raw conductor; do
      say "scale probe ($kind): $workers simulated workers register, then $rate check results/s and $((workers / 5)) heartbeats/s for ${SCALE_SECONDS}s"
      new_vhost "bench-scale-$kind-$rate"
      local url=$REPLY dir=$WORK/scale/$kind-$rate consumer_pid
      rm -rf "$dir"
      mkdir -p "$dir"
      amqp_tool declare --url "$url"
      if [[ $kind == raw ]]; then
        spawn "$dir/drain.json" "$BIN/baton-bench-amqp" drain --url "$url" --count 1000000000 --prefetch 200 --ack-every 100
        consumer_pid=$REPLY
      else
        start_conductor "$dir/conductor" "$url"
        consumer_pid=$REPLY
        wait_for_conductor "$dir/conductor" "$consumer_pid" || die "the conductor did not start; see $dir/conductor/conductor.log"
      fi
      amqp_tool loadgen --url "$url" --rate "$rate" --seconds "$SCALE_SECONDS" --workers "$workers" \
        --pid "$consumer_pid" --broker-pid "$(broker_pid)" >"$dir/loadgen.json"
      local mem db='{}'
      mem=$(memory_json "$consumer_pid")
      if [[ $kind == raw ]]; then
        kill "$consumer_pid" 2>/dev/null || true
        wait "$consumer_pid" 2>/dev/null || true
      else
        stop_and_wait "$consumer_pid"
        # Everything sent was persisted: every result in the history, the
        # latest state of every (worker, check), every worker registered.
        db=$(sqlite3 "$dir/conductor/baton.db" \
          "SELECT json_object('workers', (SELECT COUNT(*) FROM workers), 'check_history', (SELECT COUNT(*) FROM check_history),
                              'check_latest', (SELECT COUNT(*) FROM check_latest), 'open_alerts',
                              (SELECT COUNT(*) FROM alerts WHERE state = 'open'))")
      fi
      printf '{"kind": "%s", "rate": %d, "loadgen": %s, "memory_after": %s, "db": %s}\n' \
        "$kind" "$rate" "$(cat "$dir/loadgen.json")" "$mem" "$db" >>"$RESULTS/scale.jsonl"
      drop_vhost "bench-scale-$kind-$rate"
    done
  done
}

# shellcheck source=bench/lib/cases.sh
source "$ROOT/bench/lib/cases.sh"
# shellcheck source=bench/lib/cpu.sh
source "$ROOT/bench/lib/cpu.sh"
# shellcheck source=bench/lib/footprint.sh
source "$ROOT/bench/lib/footprint.sh"

# --------------------------------------------------------------------- main --

main() {
  T_BEGIN=$SECONDS
  ensure_packages
  if ((BUILD_FIRST)); then
    say "building Release binaries in $BUILD"
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBATON_BUILD_TESTS=OFF -DBATON_BUILD_BENCH=ON >/dev/null
    cmake --build "$BUILD" -j"$JOBS" --target baton-conductor baton-worker baton-supervise batonctl baton_micro_bench baton-bench-amqp >/dev/null
  fi
  local b
  for b in baton-conductor baton-worker batonctl baton_micro_bench baton-bench-amqp; do
    [[ -x $BIN/$b ]] || die "$BIN/$b is missing (run without --no-build)"
  done
  T_BUILT=$SECONDS

  rm -rf "$RESULTS"
  mkdir -p "$RESULTS" "$WORK"
  # The last run's files are moved aside now and removed when this run is
  # over, not just before the stage that made them runs again: on ext4
  # without a journal the inode allocator skips inodes freed in the last
  # minute or more, so thousands removed right before a Baton run (a log
  # directory and a log per case) slowed the files that run creates, and
  # Celery's runs, which create none, not at all.
  PREVIOUS_WORK=$WORK/.previous-$$
  mkdir -p "$PREVIOUS_WORK"
  for stage_dir in ingest cases latency footprint scale bigdb; do
    if [[ -e $WORK/$stage_dir ]]; then mv "$WORK/$stage_dir" "$PREVIOUS_WORK/"; fi
  done
  : >"$RESULTS/ingest.jsonl"

  say "starting a private RabbitMQ under $BROKER_DIR"
  BROKER_STARTED=1
  "$ROOT/run.sh" broker-start "$BROKER_DIR"
  local env_file=$BROKER_DIR/broker.env
  B_USER=$(sed -n 's/^USER=//p' "$env_file")
  B_PASSWORD=$(sed -n 's/^PASSWORD=//p' "$env_file")
  B_AMQP_PORT=$(sed -n 's/^AMQP_PORT=//p' "$env_file")
  B_MGMT_URL=$(sed -n 's/^MGMT_URL=//p' "$env_file")

  note_load start
  if stage ingest; then bench_ingest; note_load ingest; fi
  if stage cases; then bench_cases; note_load cases; fi
  if stage latency; then bench_latency; note_load latency; fi
  if stage footprint; then bench_footprint; bench_big_db; note_load footprint; fi
  if stage micro; then bench_micro; note_load micro; fi
  if stage scale; then bench_scale; note_load scale; fi

  "$ROOT/run.sh" broker-stop "$BROKER_DIR"
  BROKER_STARTED=0

  local history=() h
  if [[ -z $OUT_NAME ]]; then
    for h in "$HISTORY_DIR"/*.json; do
      [[ -e $h ]] && history+=(--history "$(basename "$h" .json)=$h")
    done
  fi
  local commit="unknown" dirty=""
  # The commit of the code measured; another source tree is measured by
  # this checkout's scripts, which the report names too.
  if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
    commit=$(git -C "$SRC" rev-parse --short HEAD)
    [[ -n $(git -C "$SRC" status --porcelain -- . ':!bench' ':!docs' 2>/dev/null) ]] && dirty=" + uncommitted changes"
    [[ $SRC != "$ROOT" ]] && dirty+=" (bench scripts at $(git -C "$ROOT" rev-parse --short HEAD))"
  fi
  python3 "$ROOT/bench/report.py" \
    --results "$RESULTS" --out-md "$OUT_MD" --out-json "$OUT_JSON" \
    --quick "$QUICK" --reps "$REPS" --events "$EVENTS" --workers "$WORKERS" --scale-seconds "$SCALE_SECONDS" \
    --cases "$CASES" --case-slots "$CASE_SLOTS" --latency-interval-ms "$LATENCY_INTERVAL_MS" --only "$ONLY" --command "$COMMAND_LINE" \
    "${history[@]}" \
    --commit "$commit$dirty${BATON_BENCH_LABEL:+ + $BATON_BENCH_LABEL}" --rabbitmq "$(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo unknown)" \
    --build-seconds "$((T_BUILT - T_BEGIN))" --bench-seconds "$((SECONDS - T_BUILT))"
  say "wrote $OUT_MD and $OUT_JSON (measuring took $((SECONDS - T_BUILT)) s)"
}

main
