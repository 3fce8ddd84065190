#!/usr/bin/env bash
# Baton's one entry point: packages, build, run, tests, stop, status, and the
# private RabbitMQ node used by `./run.sh` and by the ctest fixture.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$ROOT/build
BIN_DIR=$BUILD_DIR/bin
VAR_DIR=$ROOT/var
RUN_DIR=$VAR_DIR/run
LOG_DIR=$VAR_DIR/log
RUN_BROKER_DIR=$VAR_DIR/broker
RUN_ENV=$VAR_DIR/run.env
CONDUCTOR_CONFIG=$ROOT/config/conductor.yaml
WORKER_CONFIG=$ROOT/config/worker.yaml
RABBIT_BIN=/usr/lib/rabbitmq/bin
BROKER_USER=baton

PACKAGES=(
  build-essential cmake pkg-config librabbitmq-dev libprotobuf-dev protobuf-compiler
  libspdlog-dev libsqlite3-dev sqlite3 libyaml-cpp-dev libboost-dev libcli11-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev rabbitmq-server curl
  monitoring-plugins-basic iproute2 tzdata chromium python3
)

usage() {
  cat <<EOF
usage: ./run.sh [COMMAND]

  run (default)          install missing packages, build, start a private RabbitMQ
                         (or use \$BATON_BROKER_URL), the conductor and a local
                         worker; Ctrl+C stops everything
  test [CTEST ARGS...]   install missing packages, build, run ctest
                         (e.g. ./run.sh test -R unit)
  stop                   stop a running ./run.sh
  status                 show what is running and the conductor's /health
  bench [--quick]        benchmarks against a private broker; writes
                         docs/BENCHMARKS.md (not part of test)

  broker-start DIR       start a private RabbitMQ node with all state under DIR;
                         writes DIR/broker.env (NODE, AMQP_PORT, MGMT_PORT,
                         DIST_PORT, USER, PASSWORD, URL, MGMT_URL, DIR)
  broker-stop DIR        stop that node
  broker-ctl DIR ARGS... rabbitmqctl against that node (e.g. list_queues, stop_app)
EOF
}

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ---------------------------------------------------------------- packages --

ensure_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    say "not a Debian system; make sure these are installed: ${PACKAGES[*]}"
    return 0
  fi
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) == "install ok installed" ]] \
      || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0

  if ((EUID != 0)); then
    say "missing packages: ${missing[*]}"
    say "install them, then run this again:"
    printf '  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s\n' \
      "${missing[*]}" >&2
    exit 1
  fi

  say "installing: ${missing[*]}"
  # rabbitmq-server's postinst starts the system service; Baton never uses it,
  # so keep it (and its port 5672) down while installing, unless the machine
  # already has its own policy.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  local rc=0
  apt-get update || rc=$?
  if ((rc == 0)); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" || rc=$?
  fi
  ((own_policy)) && rm -f "$policy"
  ((rc == 0)) || die "apt-get failed (exit $rc)"
}

build() {
  say "building into $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$BUILD_DIR" -j"$(nproc)"
}

# ------------------------------------------------------------------ helpers --

abspath() { realpath -m -- "$1"; }

# Letters and digits only, so values need no quoting in env files or URLs.
random_token() {
  local s
  s=$(LC_ALL=C tr -dc 'A-Za-z0-9' < <(head -c 512 /dev/urandom))
  printf '%s' "${s:0:$1}"
}

# A zombie (exited, not yet reaped by us) counts as gone.
alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  [[ $stat != *") Z "* ]]
}

# Value of KEY in a KEY=VALUE file (empty if absent).
kv_get() {
  if [[ -f $1 ]]; then sed -n "s/^$2=//p" "$1" | head -n 1; fi
}

port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -Htln "sport = :$1" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# Sets REPLY to a free port in [lo, hi) that is not in PICKED_PORTS.
PICKED_PORTS=" "
# Listening ports come from below the kernel's ephemeral range: a port inside
# it can be taken by an outgoing socket (even a TCP self-connect of a client
# retrying against a stopped broker), and the broker then cannot bind it again.
listen_port_range() {
  local eph_lo=32768
  [[ -r /proc/sys/net/ipv4/ip_local_port_range ]] && read -r eph_lo _ </proc/sys/net/ipv4/ip_local_port_range
  local hi=$((eph_lo - 1))
  ((hi > 30000)) && hi=30000
  REPLY="10000 $hi"
}

pick_port() {
  local lo hi p i
  listen_port_range
  read -r lo hi <<<"$REPLY"
  for ((i = 0; i < 500; i++)); do
    p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
    [[ $PICKED_PORTS == *" $p "* ]] && continue
    port_in_use "$p" && continue
    PICKED_PORTS+="$p "
    REPLY=$p
    return 0
  done
  die "no free port found in $lo-$hi"
}

# Waits up to $2 seconds for pid $1 to exit.
wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while alive "$pid"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.2
  done
}

# SIGTERM, wait, SIGKILL after $3 seconds. $1 names the process for messages.
stop_pid() {
  local name=$1 pid=$2 grace=$3
  alive "$pid" || return 0
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_exit "$pid" "$grace"; then
    say "$name did not stop within ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" 5 || true
  fi
  wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------- private broker --
# All state of one node lives under its DIR:
#   node.env     node name and ports (written before start; used by ctl/stop)
#   broker.env   connection details (written once the node is ready)
#   home/        HOME of the node and its CLI (the Erlang cookie)
#   mnesia/ log/ pid launcher.pid rabbitmq.conf enabled_plugins

# Sets B_DIR, B_NODE, B_AMQP_PORT, B_MGMT_PORT, B_DIST_PORT from DIR/node.env.
load_node() {
  B_DIR=$(abspath "$1")
  local f=$B_DIR/node.env
  [[ -f $f ]] || return 1
  B_NODE=$(kv_get "$f" NODE)
  B_AMQP_PORT=$(kv_get "$f" AMQP_PORT)
  B_MGMT_PORT=$(kv_get "$f" MGMT_PORT)
  B_DIST_PORT=$(kv_get "$f" DIST_PORT)
  [[ -n $B_NODE && -n $B_AMQP_PORT && -n $B_DIST_PORT ]]
}

# Sets NODE_ENV to the environment of the node loaded by load_node.
set_node_env() {
  NODE_ENV=(
    HOME="$B_DIR/home"
    RABBITMQ_NODENAME="$B_NODE"
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    RABBITMQ_NODE_PORT="$B_AMQP_PORT"
    RABBITMQ_DIST_PORT="$B_DIST_PORT"
    RABBITMQ_MNESIA_BASE="$B_DIR/mnesia"
    RABBITMQ_LOG_BASE="$B_DIR/log"
    RABBITMQ_ENABLED_PLUGINS_FILE="$B_DIR/enabled_plugins"
    RABBITMQ_CONFIG_FILE="$B_DIR/rabbitmq"
    RABBITMQ_ADVANCED_CONFIG_FILE="$B_DIR/advanced.config"
    RABBITMQ_CONF_ENV_FILE="$B_DIR/rabbitmq-env.conf"
    RABBITMQ_PID_FILE="$B_DIR/pid"
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    ERL_CRASH_DUMP="$B_DIR/log/erl_crash.dump"
  )
}

# Runs a command with the environment of the node loaded by load_node.
node_env() {
  set_node_env
  env "${NODE_ENV[@]}" "$@"
}

node_ctl() { node_env "$RABBIT_BIN/rabbitmqctl" -n "$B_NODE" "$@"; }

node_log_tail() {
  local f
  for f in "$B_DIR"/log/*.log "$B_DIR/log/server.out"; do
    [[ -s $f ]] || continue
    say "--- last lines of $f"
    tail -n 25 "$f" >&2
  done
}

need_rabbit() {
  [[ -x $RABBIT_BIN/rabbitmq-server ]] \
    || die "RabbitMQ is not installed ($RABBIT_BIN/rabbitmq-server missing); run ./run.sh once or: apt-get install rabbitmq-server"
}

# Pid of the node's process group leader (the rabbitmq-server launcher), if
# it is still ours.
launcher_pid() {
  local pid
  pid=$(cat "$B_DIR/launcher.pid" 2>/dev/null || true)
  alive "$pid" && grep -qa rabbitmq-server "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
  return 0
}

beam_pid() {
  local pid
  pid=$(cat "$B_DIR/pid" 2>/dev/null || true)
  alive "$pid" && grep -qa beam "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
  return 0
}

node_running() { [[ -n $(beam_pid) || -n $(launcher_pid) ]]; }

# Stops the node loaded by load_node; returns 0 when nothing of it is left.
stop_loaded_node() {
  local beam launcher
  beam=$(beam_pid)
  launcher=$(launcher_pid)
  if [[ -z $beam && -z $launcher ]]; then
    rm -f "$B_DIR/broker.env"
    return 0
  fi
  say "stopping RabbitMQ node $B_NODE"
  local deadline=$((SECONDS + 30))
  node_env timeout 25 "$RABBIT_BIN/rabbitmqctl" -n "$B_NODE" stop >/dev/null 2>&1 || true
  while { alive "$beam" || alive "$launcher"; } && ((SECONDS < deadline)); do sleep 0.3; done
  if alive "$beam" || alive "$launcher"; then
    say "node $B_NODE did not stop within 30s; killing it"
    if [[ -n $launcher ]]; then kill -KILL -- "-$launcher" 2>/dev/null || true; fi
    if [[ -n $beam ]]; then kill -KILL "$beam" 2>/dev/null || true; fi
    wait_exit "$beam" 10 || true
  fi
  if [[ -n $launcher ]]; then wait "$launcher" 2>/dev/null || true; fi
  rm -f "$B_DIR/broker.env" "$B_DIR/pid" "$B_DIR/launcher.pid"
  if alive "$beam"; then
    say "error: node $B_NODE (pid $beam) is still running"
    return 1
  fi
}

# Writes configs for a fresh node under B_DIR with new ports, starts it and
# waits until it is ready. Returns 2 if a port was taken meanwhile (retry).
launch_node() {
  local password=$1
  pick_port; B_AMQP_PORT=$REPLY
  pick_port; B_MGMT_PORT=$REPLY
  pick_port; B_DIST_PORT=$REPLY

  rm -rf "$B_DIR/mnesia" "$B_DIR/log" "$B_DIR/pid" "$B_DIR/launcher.pid" "$B_DIR/broker.env"
  mkdir -p "$B_DIR/log" "$B_DIR/home"
  printf 'NODE=%s\nAMQP_PORT=%s\nMGMT_PORT=%s\nDIST_PORT=%s\n' \
    "$B_NODE" "$B_AMQP_PORT" "$B_MGMT_PORT" "$B_DIST_PORT" >"$B_DIR/node.env"
  sed -e "s/@MGMT_PORT@/$B_MGMT_PORT/" -e "s/@USER@/$BROKER_USER/" -e "s/@PASSWORD@/$password/" \
    "$ROOT/config/rabbitmq/rabbitmq.conf.in" >"$B_DIR/rabbitmq.conf"
  cp "$ROOT/config/rabbitmq/enabled_plugins" "$B_DIR/enabled_plugins"
  : >"$B_DIR/rabbitmq-env.conf"
  if [[ ! -s $B_DIR/home/.erlang.cookie ]]; then
    (umask 077 && random_token 32 >"$B_DIR/home/.erlang.cookie")
    chmod 400 "$B_DIR/home/.erlang.cookie"
  fi

  # setsid: Ctrl+C in the terminal reaches run.sh, which stops the node in
  # order; the node itself never sees the terminal's signals.
  set_node_env
  (cd "$B_DIR" && exec env "${NODE_ENV[@]}" setsid "$RABBIT_BIN/rabbitmq-server") \
    </dev/null >"$B_DIR/log/server.out" 2>&1 &
  local launcher=$!
  echo "$launcher" >"$B_DIR/launcher.pid"

  local deadline=$((SECONDS + 75))
  while true; do
    if node_ctl await_startup --timeout 10 >/dev/null 2>&1; then
      return 0
    fi
    if ! alive "$launcher"; then
      wait "$launcher" 2>/dev/null || true
      if grep -qs eaddrinuse "$B_DIR"/log/*.log "$B_DIR/log/server.out"; then
        return 2
      fi
      say "error: RabbitMQ node $B_NODE exited during startup"
      node_log_tail
      return 1
    fi
    if ((SECONDS >= deadline)); then
      say "error: RabbitMQ node $B_NODE did not start within 75s"
      node_log_tail
      stop_loaded_node || true
      return 1
    fi
    sleep 1
  done
}

broker_start() {
  [[ -n ${1:-} ]] || die "usage: ./run.sh broker-start DIR"
  need_rabbit
  B_DIR=$(abspath "$1")
  mkdir -p "$B_DIR"
  if load_node "$B_DIR"; then
    stop_loaded_node || die "could not stop the stale node in $B_DIR"
  fi
  B_DIR=$(abspath "$1")
  B_NODE="baton-$(printf '%s' "$B_DIR" | md5sum | cut -c1-10)@localhost"

  local password attempt rc
  password=$(random_token 24)
  for attempt in 1 2 3; do
    rc=0
    launch_node "$password" || rc=$?
    ((rc == 2)) && { say "a port was taken during startup; retrying ($attempt)"; continue; }
    break
  done
  ((rc == 0)) || die "RabbitMQ did not start; state and logs are in $B_DIR"

  local url="amqp://$BROKER_USER:$password@127.0.0.1:$B_AMQP_PORT/%2f"
  cat >"$B_DIR/broker.env.tmp" <<EOF
NODE=$B_NODE
AMQP_PORT=$B_AMQP_PORT
MGMT_PORT=$B_MGMT_PORT
DIST_PORT=$B_DIST_PORT
USER=$BROKER_USER
PASSWORD=$password
URL=$url
MGMT_URL=http://127.0.0.1:$B_MGMT_PORT
DIR=$B_DIR
EOF
  chmod 600 "$B_DIR/broker.env.tmp"
  mv "$B_DIR/broker.env.tmp" "$B_DIR/broker.env"
  say "RabbitMQ node $B_NODE is up: amqp 127.0.0.1:$B_AMQP_PORT, management http://127.0.0.1:$B_MGMT_PORT ($B_DIR/broker.env)"
}

broker_stop() {
  [[ -n ${1:-} ]] || die "usage: ./run.sh broker-stop DIR"
  if ! load_node "$1"; then
    say "no broker in $(abspath "$1")"
    return 0
  fi
  need_rabbit
  if ! node_running; then
    rm -f "$B_DIR/broker.env"
    say "no broker running in $B_DIR"
    return 0
  fi
  stop_loaded_node || die "could not stop RabbitMQ node $B_NODE"
  say "RabbitMQ node $B_NODE stopped"
}

broker_ctl() {
  [[ -n ${1:-} && -n ${2:-} ]] || die "usage: ./run.sh broker-ctl DIR ARGS..."
  need_rabbit
  load_node "$1" || die "no broker in $(abspath "$1") (run ./run.sh broker-start $1 first)"
  shift
  local rc=0
  node_ctl "$@" || rc=$?
  if ((rc != 0)); then
    node_running || say "error: RabbitMQ node $B_NODE is not running"
    exit "$rc"
  fi
}

# ----------------------------------------------------------------- run mode --

# http.port from the conductor's YAML (top-level `http:` block), default 8080.
config_http_port() {
  local port=""
  if [[ -f $CONDUCTOR_CONFIG ]]; then
    port=$(awk '
      /^[^[:space:]#]/ { in_http = ($0 ~ /^http:[[:space:]]*(#.*)?$/); next }
      in_http && /^[[:space:]]+port:/ {
        sub(/^[[:space:]]+port:[[:space:]]*/, ""); sub(/[[:space:]]*(#.*)?$/, "")
        gsub(/["\047]/, ""); print; exit
      }' "$CONDUCTOR_CONFIG")
  fi
  [[ $port =~ ^[0-9]+$ ]] || port=8080
  echo "$port"
}

write_pid() { echo "$2" >"$RUN_DIR/$1.pid"; }
read_pid() { cat "$RUN_DIR/$1.pid" 2>/dev/null || true; }

redact_url() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }

# Set while ./run.sh runs in the foreground.
CONDUCTOR_PID=""
WORKER_PID=""
PRIVATE_BROKER=0
STOPPING=0

# Worker first (it reports to the conductor), then the conductor, then the broker.
shutdown_all() {
  STOPPING=1
  trap '' INT TERM HUP
  stop_pid worker "${WORKER_PID:-$(read_pid worker)}" 20
  stop_pid conductor "${CONDUCTOR_PID:-$(read_pid conductor)}" 20
  if ((PRIVATE_BROKER)) || [[ -n $(read_pid broker) ]]; then
    if load_node "$RUN_BROKER_DIR"; then stop_loaded_node || true; fi
  fi
  rm -f "$RUN_DIR"/{worker,conductor,broker,run}.pid "$RUN_ENV"
}

on_signal() {
  ((STOPPING)) && return
  echo >&2
  say "stopping"
  shutdown_all
  say "stopped"
  exit 0
}

# Starts $2... in its own session with stdout/stderr in var/log/$1.out; sets REPLY to its pid.
start_child() {
  local name=$1
  shift
  (cd "$ROOT" && exec setsid "$@") </dev/null >"$LOG_DIR/$name.out" 2>&1 &
  REPLY=$!
  write_pid "$name" "$REPLY"
}

child_died() {
  local name=$1 pid=$2 rc=0
  wait "$pid" 2>/dev/null || rc=$?
  say "error: the $name exited unexpectedly (exit $rc); its output is in $LOG_DIR/$name.out (logs in $LOG_DIR/)"
  tail -n 20 "$LOG_DIR/$name.out" >&2 2>/dev/null || true
}

cmd_run() {
  cd "$ROOT"
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  local other
  other=$(read_pid run)
  if alive "$other" && [[ $other != "$$" ]]; then
    die "Baton is already running (run.sh pid $other); see ./run.sh status, or ./run.sh stop"
  fi

  ensure_packages
  build
  local conductor_bin=$BIN_DIR/baton-conductor worker_bin=$BIN_DIR/baton-worker
  [[ -x $conductor_bin ]] || die "$conductor_bin was not built"
  [[ -x $worker_bin ]] || die "$worker_bin was not built"
  [[ -f $CONDUCTOR_CONFIG ]] || die "missing $CONDUCTOR_CONFIG"
  [[ -f $WORKER_CONFIG ]] || die "missing $WORKER_CONFIG"

  trap on_signal INT TERM HUP
  # An unexpected error must not leave the children running.
  trap '((STOPPING)) || shutdown_all' EXIT
  write_pid run "$$"

  local mgmt_url mgmt_user mgmt_pass
  if [[ -n ${BATON_BROKER_URL:-} ]]; then
    say "using the broker from BATON_BROKER_URL: $(redact_url "$BATON_BROKER_URL")"
    local host
    host=$(sed -E 's#^amqps?://([^@/]*@)?(\[[^]]*\]|[^:/]*).*#\2#' <<<"$BATON_BROKER_URL")
    mgmt_url=${BATON_MGMT_URL:-http://${host:-127.0.0.1}:15672}
    mgmt_user=$(sed -nE 's#^amqps?://([^:@/]*)[:@].*#\1#p' <<<"$BATON_BROKER_URL")
    mgmt_pass="(the password in BATON_BROKER_URL)"
  else
    say "starting a private RabbitMQ under $RUN_BROKER_DIR"
    PRIVATE_BROKER=1
    broker_start "$RUN_BROKER_DIR"
    write_pid broker "$(beam_pid)"
    BATON_BROKER_URL=$(kv_get "$RUN_BROKER_DIR/broker.env" URL)
    mgmt_url=$(kv_get "$RUN_BROKER_DIR/broker.env" MGMT_URL)
    mgmt_user=$BROKER_USER
    mgmt_pass=$(kv_get "$RUN_BROKER_DIR/broker.env" PASSWORD)
  fi
  export BATON_BROKER_URL
  # The conductor shows this link on its API and dashboard.
  export BATON_MANAGEMENT_URL=$mgmt_url

  local http_port=${BATON_HTTP_PORT:-$(config_http_port)}
  if port_in_use "$http_port"; then
    local busy=$http_port
    pick_port
    http_port=$REPLY
    say "port $busy is taken; the conductor listens on $http_port instead"
  fi
  export BATON_HTTP_PORT=$http_port
  local baton_url=http://127.0.0.1:$http_port

  start_child conductor "$conductor_bin" --config "$CONDUCTOR_CONFIG"
  CONDUCTOR_PID=$REPLY
  say "waiting for the conductor at $baton_url/health"
  local deadline=$((SECONDS + 60))
  until curl -fsS --max-time 2 "$baton_url/health" >/dev/null 2>&1; do
    if ! alive "$CONDUCTOR_PID"; then
      child_died conductor "$CONDUCTOR_PID"
      CONDUCTOR_PID=""
      shutdown_all
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      say "error: the conductor did not answer $baton_url/health within 60s; see $LOG_DIR/conductor.out"
      shutdown_all
      exit 1
    fi
    sleep 0.5
  done

  start_child worker "$worker_bin" --config "$WORKER_CONFIG"
  WORKER_PID=$REPLY

  (
    umask 077
    cat >"$RUN_ENV" <<EOF
export BATON_URL='$baton_url'
export BATON_BROKER_URL='$BATON_BROKER_URL'
export BATON_MGMT_URL='$mgmt_url'
EOF
  )

  cat <<EOF

  Baton is running.

    API / dashboard   $baton_url   (health: $baton_url/health)
    RabbitMQ UI       $mgmt_url   user $mgmt_user, password $mgmt_pass
    batonctl          $BIN_DIR/batonctl --url $baton_url worker list
                      (or: source var/run.env; build/bin/batonctl status)
    logs              $LOG_DIR/

  Ctrl+C to stop.

EOF

  while true; do
    sleep 1 &
    wait $! 2>/dev/null || true
    ((STOPPING)) && continue
    if ! alive "$WORKER_PID"; then
      child_died worker "$WORKER_PID"
      WORKER_PID=""
      shutdown_all
      exit 1
    fi
    if ! alive "$CONDUCTOR_PID"; then
      child_died conductor "$CONDUCTOR_PID"
      CONDUCTOR_PID=""
      shutdown_all
      exit 1
    fi
    if ((PRIVATE_BROKER)) && ! alive "$(read_pid broker)"; then
      say "error: the private RabbitMQ exited unexpectedly; its logs are in $RUN_BROKER_DIR/log/"
      shutdown_all
      exit 1
    fi
  done
}

cmd_stop() {
  local runner
  runner=$(read_pid run)
  if alive "$runner"; then
    say "asking ./run.sh (pid $runner) to stop"
    kill -TERM "$runner"
    if wait_exit "$runner" 120; then
      say "stopped"
      return 0
    fi
    say "./run.sh (pid $runner) did not stop within 120s; stopping its processes directly"
  fi
  if [[ -z $(read_pid worker)$(read_pid conductor)$(read_pid broker) ]]; then
    say "nothing is running"
    return 0
  fi
  shutdown_all
  say "stopped"
}

cmd_status() {
  local ok=0 pid
  for name in broker conductor worker; do
    pid=$(read_pid "$name")
    if alive "$pid"; then
      printf '%-10s running (pid %s)\n' "$name:" "$pid"
    elif [[ $name == broker && -z $pid && -f $RUN_ENV && -n $(read_pid run) ]]; then
      printf '%-10s external\n' "$name:"
    else
      printf '%-10s not running\n' "$name:"
      ok=1
    fi
  done
  local url=""
  if [[ -f $RUN_ENV ]]; then
    url=$(sed -n "s/^export BATON_URL='\(.*\)'$/\1/p" "$RUN_ENV")
    local broker_url mgmt
    broker_url=$(sed -n "s/^export BATON_BROKER_URL='\(.*\)'$/\1/p" "$RUN_ENV")
    mgmt=$(sed -n "s/^export BATON_MGMT_URL='\(.*\)'$/\1/p" "$RUN_ENV")
    [[ -n $broker_url ]] && printf '%-10s %s\n' "amqp:" "$(redact_url "$broker_url")"
    [[ -n $mgmt ]] && printf '%-10s %s\n' "rabbitmq:" "$mgmt"
  fi
  url=${url:-http://127.0.0.1:${BATON_HTTP_PORT:-$(config_http_port)}}
  local health
  if health=$(curl -fsS --max-time 3 "$url/health" 2>/dev/null); then
    printf '%-10s %s/health\n%s\n' "health:" "$url" "$health"
  else
    printf '%-10s %s/health not reachable\n' "health:" "$url"
  fi
  return "$ok"
}

cmd_test() {
  ensure_packages
  build
  local rc=0
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@" || rc=$?
  exit "$rc"
}

main() {
  local cmd=${1:-run}
  (($#)) && shift
  case $cmd in
    run) (($# == 0)) || die "run takes no arguments"; cmd_run ;;
    test) cmd_test "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    bench) exec "$ROOT/bench/run.sh" "$@" ;;
    broker-start) (($# == 1)) || die "usage: ./run.sh broker-start DIR"; broker_start "$1" ;;
    broker-stop) (($# == 1)) || die "usage: ./run.sh broker-stop DIR"; broker_stop "$1" ;;
    broker-ctl) broker_ctl "$@" ;;
    -h | --help | help) usage ;;
    *) say "unknown command: $cmd"; usage >&2; exit 2 ;;
  esac
}

main "$@"
