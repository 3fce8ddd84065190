# Sourced by bench/run.sh: end-to-end cases (throughput and dispatch latency)
# on Baton and on Celery, and the raw two-hop round trip on the broker.
# Uses run.sh's helpers (spawn, stop_and_wait, new_vhost, amqp_tool, ...).

CELERY_PYTHON=/usr/bin/python3 # Debian's python3-celery lives in its dist-packages

# One workflow step on the `bench` pool: run_true for throughput, stamp for
# latency (the job is /bin/date +%s%N, so its output is when it ran).
cases_workflows() {
  cat >"$1" <<EOF
workflows:
  bench_true:
    steps:
      - {name: run, action: run_true, pool: bench, timeout: 1m}
  bench_stamp:
    steps:
      - {name: run, action: stamp, pool: bench, timeout: 1m}
EOF
}

# start_worker DIR ID URL: a baton-worker with CASE_SLOTS slots offering both actions.
start_worker() {
  local dir=$1 id=$2 url=$3
  mkdir -p "$dir"
  cat >"$dir/worker.yaml" <<EOF
worker:
  id: $id
  labels: [bench]
  slots: $CASE_SLOTS
  gpu: {mode: "off"}
log:
  level: info
  file: ""
jobs:
  state_dir: $dir/state
actions:
  run_true:
    argv: ["/bin/true"]
    timeout: 1m
  stamp:
    argv: ["/bin/date", "+%s%N"]
    timeout: 1m
EOF
  broker_section >>"$dir/worker.yaml"
  spawn "$dir/worker.log" env BATON_BROKER_URL="$url" BATON_WORKER_ID= "$BIN/baton-worker" --config "$dir/worker.yaml"
}

db_count() { sqlite3 "$1" "$2" 2>/dev/null || echo 0; }

# wait_db DB SQL WANT TIMEOUT_S: polls every 20 ms until SQL yields WANT.
wait_db() {
  local db=$1 sql=$2 want=$3 timeout=$4 t_end have
  t_end=$(($(date +%s) + timeout))
  while true; do
    have=$(db_count "$db" "$sql")
    [[ $have == "$want" ]] && return 0
    (($(date +%s) > t_end)) && { say "waited $timeout s for '$sql' = $want in $db, have $have"; return 1; }
    sleep 0.02
  done
}

# baton_cluster DIR URL WORKERS: conductor with the bench workflows and
# WORKERS workers, all registered; sets CONDUCTOR_PID and WORKER_PIDS.
baton_cluster() {
  local dir=$1 url=$2 workers=$3 i
  mkdir -p "$dir"
  cases_workflows "$dir/workflows.yaml"
  start_conductor "$dir/conductor" "$url" "$dir/workflows.yaml"
  CONDUCTOR_PID=$REPLY
  wait_for_file "$dir/conductor/http.port" "$CONDUCTOR_PID" || die "the conductor did not start; see $dir/conductor/conductor.log"
  WORKER_PIDS=()
  for ((i = 1; i <= workers; i++)); do
    start_worker "$dir/worker-$i" "bench-$i" "$url"
    WORKER_PIDS+=("$REPLY")
  done
  wait_db "$dir/conductor/baton.db" "SELECT COUNT(*) FROM workers WHERE status = 'online'" "$workers" 30 ||
    die "workers did not register; see $dir"
}

baton_cluster_stop() {
  local pid
  for pid in "${WORKER_PIDS[@]}"; do stop_and_wait "$pid"; done
  stop_and_wait "$CONDUCTOR_PID"
}

# N cases of bench_true, submitted in one burst; timed to the moment the
# database says all are COMPLETED. SYSTEM baton-transient: the same with
# broker.persistent_messages false in the conductor's and workers' configs.
cases_baton() {
  local rep=$1 workers=$2 system=${3:-baton}
  local BENCH_PERSISTENT_MESSAGES=
  [[ $system == baton-transient ]] && BENCH_PERSISTENT_MESSAGES=false
  new_vhost "bench-cases-$system-$workers"
  local url=$REPLY dir=$WORK/cases/$system-$workers-$rep
  rm -rf "$dir"
  baton_cluster "$dir" "$url" "$workers"
  local db=$dir/conductor/baton.db t0
  # CPU of the conductor, the workers (with their supervisors and jobs) and
  # the broker, from just before the submit to just after the last case.
  local groups=("conductor=$CONDUCTOR_PID" "workers=$(IFS=,; echo "${WORKER_PIDS[*]}")")
  cpu_sample baton "${groups[@]}"
  t0=$(now)
  amqp_tool submit --url "$url" --count "$CASES" --workflow bench_true --prefix tp >"$dir/submit.json"
  wait_db "$db" "SELECT COUNT(*) FROM cases WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED')" "$CASES" 600 ||
    die "cases did not finish; see $dir"
  local t_done
  t_done=$(now)
  local cpu
  cpu=$(cpu_json baton "${groups[@]}")
  local mem
  mem=$(memory_json "$CONDUCTOR_PID")
  baton_cluster_stop
  # StepStarted events a StepFinished stood for (each worker logs its count as it stops).
  local folded
  folded=$(cat "$dir"/worker-*/worker.log | sed -n "s/.*worker stopped (\([0-9]*\) short jobs' starts.*/\1/p" |
    awk '{ n += $1 } END { print n + 0 }')
  local completed history attempts
  completed=$(db_count "$db" "SELECT COUNT(*) FROM cases WHERE status = 'COMPLETED'")
  history=$(db_count "$db" "SELECT COUNT(*) FROM case_history")
  attempts=$(db_count "$db" "SELECT COUNT(*) FROM step_attempts WHERE exit_code = 0 AND finished_ms IS NOT NULL")
  printf '{"rep": %d, "system": "%s", "workers": %d, "slots": %d, "cases": %d, "t_start": %s, "t_done": %s, "submit": %s, "completed": %d, "history_rows": %d, "finished_attempts": %d, "starts_folded": %d, "conductor_memory": %s, "cpu": %s}\n' \
    "$rep" "$system" "$workers" "$CASE_SLOTS" "$CASES" "$t0" "$t_done" "$(cat "$dir/submit.json")" "$completed" "$history" \
    "$attempts" "$folded" "$mem" "$cpu" >>"$RESULTS/cases.jsonl"
  ((completed == CASES)) || die "only $completed of $CASES cases COMPLETED; see $dir"
  drop_vhost "bench-cases-$system-$workers"
}

# celery_cluster DIR URL WORKERS: WORKERS celery nodes, CASE_SLOTS prefork
# processes each; sets CELERY_PIDS.
celery_cluster() {
  local dir=$1 url=$2 workers=$3 i
  mkdir -p "$dir"
  CELERY_PIDS=()
  for ((i = 1; i <= workers; i++)); do
    spawn "$dir/celery-$i.log" env BENCH_CELERY_BROKER="$url" PYTHONPATH="$ROOT/bench/celery" \
      "$CELERY_PYTHON" -m celery -A bench_tasks worker --pool=prefork --concurrency="$CASE_SLOTS" \
      -n "bench$i@%h" --without-gossip --without-mingle --without-heartbeat --loglevel=INFO
    CELERY_PIDS+=("$REPLY")
  done
  local t_end=$(($(date +%s) + 60))
  for ((i = 1; i <= workers; i++)); do
    until grep -q 'ready\.' "$dir/celery-$i.log" 2>/dev/null; do
      (($(date +%s) > t_end)) && die "celery worker $i did not start; see $dir/celery-$i.log"
      sleep 0.1
    done
  done
}

celery_cluster_stop() {
  local pid
  for pid in "${CELERY_PIDS[@]}"; do stop_and_wait "$pid"; done
}

cases_celery() {
  local rep=$1 workers=$2
  new_vhost "bench-cases-celery-$workers"
  local url=$REPLY dir=$WORK/cases/celery-$workers-$rep
  rm -rf "$dir"
  celery_cluster "$dir" "$url" "$workers"
  # CPU of each celery node with its prefork pool (which reaps the /bin/true
  # processes) and of the broker, from before drive.py starts to after it saw
  # the last task done. drive.py's own start-up and connection come first.
  local groups=("workers=$(IFS=,; echo "${CELERY_PIDS[*]}")")
  cpu_sample celery "${groups[@]}"
  BENCH_CELERY_BROKER=$url "$CELERY_PYTHON" "$ROOT/bench/celery/drive.py" throughput --count "$CASES" \
    --done "$dir/done.txt" >"$dir/drive.json" || die "celery run failed; see $dir"
  local cpu
  cpu=$(cpu_json celery "${groups[@]}")
  celery_cluster_stop
  printf '{"rep": %d, "system": "celery", "workers": %d, "slots": %d, "cases": %d, "drive": %s, "cpu": %s}\n' \
    "$rep" "$workers" "$CASE_SLOTS" "$CASES" "$(cat "$dir/drive.json")" "$cpu" >>"$RESULTS/cases.jsonl"
  drop_vhost "bench-cases-celery-$workers"
}

bench_cases() {
  local rep workers
  : >"$RESULTS/cases.jsonl"
  : >"$RESULTS/spawnrate.jsonl"
  # The machine's ceiling for /bin/true jobs, before and after the runs.
  spawn_ceiling before
  for workers in 1 2; do
    for ((rep = 1; rep <= REPS; rep++)); do
      say "cases $rep/$REPS with $workers worker(s) of $CASE_SLOTS slots: $CASES cases on Baton and Celery"
      if ((rep % 2)); then
        cases_baton "$rep" "$workers"
        cases_celery "$rep" "$workers"
      else
        cases_celery "$rep" "$workers"
        cases_baton "$rep" "$workers"
      fi
      cases_baton "$rep" "$workers" baton-transient
    done
  done
  spawn_ceiling after
}

# Dispatch latency at low load: one case every LATENCY_INTERVAL_MS, one worker.
latency_baton() {
  new_vhost bench-latency-baton
  local url=$REPLY dir=$WORK/latency/baton
  rm -rf "$dir"
  baton_cluster "$dir" "$url" 1
  amqp_tool submit --url "$url" --count "$LATENCY_COUNT" --workflow bench_stamp --prefix lat \
    --interval-ms "$LATENCY_INTERVAL_MS" --out "$dir/submits.txt" >/dev/null
  wait_db "$dir/conductor/baton.db" "SELECT COUNT(*) FROM cases WHERE status = 'COMPLETED'" "$LATENCY_COUNT" 60 ||
    die "latency cases did not finish; see $dir"
  baton_cluster_stop
  # The job's own stamp (its stdout tail) and, for comparison, the StepStarted
  # time the conductor stored (milliseconds, the worker's clock at fork).
  sqlite3 -separator ' ' "$dir/conductor/baton.db" \
    "SELECT s.case_id, s.started_ms, s.dispatched_ms, c.created_ms, replace(s.output_tail, char(10), ' ')
     FROM step_attempts s JOIN cases c ON c.id = s.case_id" >"$dir/stamps.txt"
  cp "$dir/submits.txt" "$RESULTS/latency-baton-submits.txt"
  cp "$dir/stamps.txt" "$RESULTS/latency-baton-stamps.txt"
  drop_vhost bench-latency-baton
}

latency_celery() {
  new_vhost bench-latency-celery
  local url=$REPLY dir=$WORK/latency/celery
  rm -rf "$dir"
  celery_cluster "$dir" "$url" 1
  BENCH_CELERY_BROKER=$url "$CELERY_PYTHON" "$ROOT/bench/celery/drive.py" latency --count "$LATENCY_COUNT" \
    --interval-ms "$LATENCY_INTERVAL_MS" --stamps "$dir/stamps.txt" --out "$dir/submits.txt" >/dev/null ||
    die "celery latency run failed; see $dir"
  celery_cluster_stop
  cp "$dir/submits.txt" "$RESULTS/latency-celery-submits.txt"
  cp "$dir/stamps.txt" "$RESULTS/latency-celery-stamps.txt"
  drop_vhost bench-latency-celery
}

latency_raw() {
  new_vhost bench-latency-raw
  local url=$REPLY
  amqp_tool pingpong --url "$url" --count "$LATENCY_COUNT" --interval-ms "$LATENCY_INTERVAL_MS" \
    >"$RESULTS/latency-raw.json"
  drop_vhost bench-latency-raw
}

# The job's own start, with no broker and nothing of ours: posix_spawn of
# /bin/date to the clock reading it prints, at the same pace.
latency_job_start() {
  amqp_tool spawnlat --count "$LATENCY_COUNT" --interval-ms "$LATENCY_INTERVAL_MS" >"$RESULTS/latency-job-start.json"
}

bench_latency() {
  say "dispatch latency: $LATENCY_COUNT cases one every $LATENCY_INTERVAL_MS ms on Baton, Celery and raw rabbitmq-c, and the job's start alone"
  latency_baton
  latency_celery
  latency_raw
  latency_job_start
}
