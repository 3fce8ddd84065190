# Sourced by bench/run.sh: CPU time of processes from /proc/PID/stat, and the
# machine's rate of trivial process starts. Plain bash, so sampling starts no
# process of its own.

CLK_TCK=$(getconf CLK_TCK)

# Fields of /proc/PID/stat from field 3 (state) on, in the array STAT. The
# command name (field 2) may hold spaces and parentheses, so everything up to
# the last ") " goes. Fails if the process is gone.
read_stat() {
  local line
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
  read -ra STAT <<<"${line##*) }"
}

# cpu_ticks PID...: utime + stime + cutime + cstime (fields 14-17) summed over
# the processes, in clock ticks. cutime/cstime hold what a process's reaped
# children (and what those reaped in turn) used; processes that are gone count 0.
cpu_ticks() {
  local pid sum=0
  for pid in "$@"; do
    read_stat "$pid" || continue
    sum=$((sum + STAT[11] + STAT[12] + STAT[13] + STAT[14]))
  done
  echo "$sum"
}

# cpu_self_ticks PID: utime + stime only (the broker: what its own threads used,
# not the occasional helper program it runs and reaps).
cpu_self_ticks() {
  read_stat "$1" || { echo 0; return; }
  echo "$((STAT[11] + STAT[12]))"
}

# cpu_tree_ticks PID...: cpu_ticks of the processes and of all their living
# descendants. A living child's time is not yet in its parent's cutime, so
# nothing is counted twice; this covers what is running when the sample is
# taken (a worker's supervisors with the jobs they reaped, Celery's prefork
# pool) as well as what was reaped before.
cpu_tree_ticks() {
  local -A parent=()
  local stat pid
  for stat in /proc/[0-9]*/stat; do
    pid=${stat#/proc/}
    pid=${pid%/stat}
    read_stat "$pid" || continue
    parent[$pid]=${STAT[1]}
  done
  local -A in_tree=()
  for pid in "$@"; do in_tree[$pid]=1; done
  # Ancestors before descendants is not guaranteed by pid order (pids wrap),
  # so repeat until nothing is added.
  local grew=1
  while ((grew)); do
    grew=0
    for pid in "${!parent[@]}"; do
      if [[ -z ${in_tree[$pid]:-} && -n ${in_tree[${parent[$pid]}]:-} ]]; then
        in_tree[$pid]=1
        grew=1
      fi
    done
  done
  cpu_ticks "${!in_tree[@]}"
}

ticks_ms() { echo "$(($1 * 1000 / CLK_TCK))"; }

# The broker's beam.smp, from the pid file ./run.sh broker-start keeps.
broker_pid() {
  local pid
  pid=$(cat "$BROKER_DIR/pid" 2>/dev/null || true)
  if [[ -n $pid ]] && grep -qa beam "/proc/$pid/cmdline" 2>/dev/null; then echo "$pid"; fi
}

# cpu_sample NAME GROUP=PID[,PID...]...: remembers, under NAME, the tree ticks
# of each group's processes and the broker's own ticks. cpu_json NAME with the
# same groups prints the deltas since then as JSON, in milliseconds:
# {"seconds", "GROUP_ms"..., "system_ms" (the groups' sum), "broker_ms",
# "total_ms", "clk_tck"}. The processes must be running at both samples (a
# process that is gone counts 0, and so would its children).
declare -A CPU_T0=() CPU_TICKS0=()
cpu_sample() {
  local name=$1 group pids
  shift
  CPU_T0[$name]=$(now)
  for group in "$@"; do
    pids=${group#*=}
    # shellcheck disable=SC2086 # the comma list becomes words on purpose
    CPU_TICKS0[$name/${group%%=*}]=$(cpu_tree_ticks ${pids//,/ })
  done
  CPU_TICKS0[$name/broker]=$(cpu_self_ticks "$(broker_pid)")
}

cpu_json() {
  local name=$1 group pids ticks system=0 fields=""
  shift
  for group in "$@"; do
    pids=${group#*=}
    # shellcheck disable=SC2086
    ticks=$(($(cpu_tree_ticks ${pids//,/ }) - CPU_TICKS0[$name/${group%%=*}]))
    system=$((system + ticks))
    fields+="\"${group%%=*}_ms\": $(ticks_ms "$ticks"), "
  done
  local broker t1
  broker=$(($(cpu_self_ticks "$(broker_pid)") - CPU_TICKS0[$name/broker]))
  t1=$(now)
  printf '{"seconds": %s, %s"system_ms": %d, "broker_ms": %d, "total_ms": %d, "clk_tck": %d}' \
    "$(awk -v a="${CPU_T0[$name]}" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')" "$fields" \
    "$(ticks_ms "$system")" "$(ticks_ms "$broker")" "$(ticks_ms $((system + broker)))" "$CLK_TCK"
}

# spawn_ceiling WHEN: one posix_spawn + waitpid loop of /bin/true per core, all
# at once, nothing else of ours running; appends to spawnrate.jsonl.
spawn_ceiling() {
  local when=$1 out
  say "spawn ceiling ($when): $(nproc) × $SPAWN_COUNT starts of /bin/true"
  out=$(amqp_tool spawnrate --count "$SPAWN_COUNT" --parallel "$(nproc)" --program /bin/true)
  printf '{"when": "%s", "loadavg": [%s], "spawnrate": %s}\n' "$when" \
    "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ',')" "$out" >>"$RESULTS/spawnrate.jsonl"
}
