# Sourced by bench/run.sh: memory of idle processes, of a conductor over a
# large database, and binary sizes. Uses run.sh's helpers.

# Worker variants measured side by side: the plain binary, and the same binary
# with glibc's malloc held to fewer arenas (each thread that allocates gets its
# own arena by default, and each arena keeps touched pages resident).
WORKER_VARIANTS=(default arena1)
worker_variant_env() {
  case $1 in
    default) echo "BATON_BENCH_VARIANT=default" ;;
    arena1) echo "MALLOC_ARENA_MAX=1" ;;
  esac
}

bench_footprint() {
  say "footprint: an idle conductor and idle workers (${WORKER_VARIANTS[*]}) heartbeating every 1 s for $IDLE_SECONDS s"
  new_vhost bench-footprint
  local url=$REPLY dir=$WORK/footprint
  rm -rf "$dir"
  mkdir -p "$dir"
  start_conductor "$dir/conductor" "$url"
  local conductor_pid=$REPLY
  wait_for_file "$dir/conductor/http.port" "$conductor_pid" || die "the conductor did not start; see $dir/conductor/conductor.log"
  local variant pids=()
  for variant in "${WORKER_VARIANTS[@]}"; do
    mkdir -p "$dir/$variant"
    cat >"$dir/$variant/worker.yaml" <<EOF
worker:
  id: bench-idle-$variant
  heartbeat_interval: 1s
log:
  level: info
  file: ""
jobs:
  state_dir: $dir/$variant/state
EOF
    spawn "$dir/$variant/worker.log" env BATON_BROKER_URL="$url" BATON_WORKER_ID= "$(worker_variant_env "$variant")" \
      "$BIN/baton-worker" --config "$dir/$variant/worker.yaml"
    pids+=("$REPLY")
  done
  sleep "$IDLE_SECONDS"
  local workers_json="" i
  for i in "${!WORKER_VARIANTS[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || die "the worker exited; see $dir/${WORKER_VARIANTS[$i]}/worker.log"
    workers_json+="${workers_json:+, }\"${WORKER_VARIANTS[$i]}\": $(memory_json "${pids[$i]}")"
    # Where the resident pages are: largest mappings first, for the report.
    awk '/^[0-9a-f]+-[0-9a-f]+ / {name = (NF >= 6 ? $6 : "[anon]")} /^Rss:/ {rss[name] += $2}
      END {for (n in rss) printf "%d %s\n", rss[n], n}' "/proc/${pids[$i]}/smaps" | sort -rn | head -n 15 \
      >"$RESULTS/worker-smaps-${WORKER_VARIANTS[$i]}.txt"
  done
  local conductor_mem
  conductor_mem=$(memory_json "$conductor_pid")
  for i in "${!pids[@]}"; do stop_and_wait "${pids[$i]}"; done
  stop_and_wait "$conductor_pid"
  drop_vhost bench-footprint

  local sizes="" b size stripped
  for b in baton-conductor baton-worker baton-supervise batonctl; do
    size=$(stat -c %s "$BIN/$b")
    strip -o "$dir/$b.stripped" "$BIN/$b"
    stripped=$(stat -c %s "$dir/$b.stripped")
    rm -f "$dir/$b.stripped"
    sizes+="${sizes:+, }\"$b\": {\"bytes\": $size, \"stripped_bytes\": $stripped}"
  done
  printf '{"idle_workers": {%s}, "idle_conductor": %s, "binaries": {%s}}\n' "$workers_json" "$conductor_mem" "$sizes" \
    >"$RESULTS/footprint.json"
}

# A conductor started on a database of BIGDB_CASES cases and 200 workers
# (bench/sql/big_db.sql): start-up time and memory once it is serving.
bench_big_db() {
  say "footprint: conductor over $BIGDB_CASES cases and 200 workers"
  new_vhost bench-bigdb
  local url=$REPLY dir=$WORK/bigdb
  rm -rf "$dir"
  mkdir -p "$dir"
  cases_workflows "$dir/workflows.yaml"
  # A first start creates the schema; the data goes in while it is stopped.
  start_conductor "$dir/conductor" "$url" "$dir/workflows.yaml"
  wait_for_file "$dir/conductor/http.port" "$REPLY" || die "the conductor did not start; see $dir/conductor/conductor.log"
  stop_and_wait "$REPLY"
  local t_fill
  t_fill=$(now)
  sed "s/SELECT 100000 AS cases/SELECT $BIGDB_CASES AS cases/" "$ROOT/bench/sql/big_db.sql" | sqlite3 "$dir/conductor/baton.db"
  t_fill=$(awk -v a="$t_fill" -v b="$(now)" 'BEGIN {print b - a}')
  rm -f "$dir/conductor/http.port"
  local t0
  t0=$(now)
  start_conductor "$dir/conductor" "$url" "$dir/workflows.yaml"
  local pid=$REPLY
  wait_for_file "$dir/conductor/http.port" "$pid" || die "the conductor did not start on the big database"
  local t_up port
  t_up=$(now)
  port=$(cat "$dir/conductor/http.port")
  sleep 3
  local mem_idle
  mem_idle=$(memory_json "$pid")
  # A few API reads that walk the tables, as a dashboard would.
  curl -fsS "http://127.0.0.1:$port/api/v1/workers" >/dev/null || true
  curl -fsS "http://127.0.0.1:$port/api/v1/cases?limit=1000" >/dev/null || true
  local mem_after_reads
  mem_after_reads=$(memory_json "$pid")
  stop_and_wait "$pid"
  local db_bytes cases workers
  db_bytes=$(stat -c %s "$dir/conductor/baton.db")
  cases=$(db_count "$dir/conductor/baton.db" "SELECT COUNT(*) FROM cases")
  workers=$(db_count "$dir/conductor/baton.db" "SELECT COUNT(*) FROM workers")
  printf '{"cases": %d, "workers": %d, "db_bytes": %d, "fill_seconds": %s, "startup_seconds": %s, "idle_seconds": 3, "memory_idle": %s, "memory_after_reads": %s}\n' \
    "$cases" "$workers" "$db_bytes" "$t_fill" "$(awk -v a="$t0" -v b="$t_up" 'BEGIN {print b - a}')" "$mem_idle" \
    "$mem_after_reads" >"$RESULTS/bigdb.json"
  drop_vhost bench-bigdb
}
