#!/usr/bin/env bash
# Runs one push-bench scenario against push-server, soketi 1.6.1 and the raw Netty ceiling, back to back with the
# same generator, then prints every JSON line and a side-by-side table with ratios (push-server / other).
#
#   push-bench/scripts/compare.sh [--servers push-server,soketi,ceiling] [--runs N] [--out-dir DIR] \
#       SCENARIO [scenario options...]
#
# Examples (tiny; the full sweeps are in BENCHMARKS.md):
#   push-bench/scripts/compare.sh fanout --subscribers 200 --rates 20,50 --warmup 1 --duration 2
#   push-bench/scripts/compare.sh --runs 3 fanout --subscribers 1000 --rates 50,100,200,400
#   push-bench/scripts/compare.sh --servers push-server,soketi presence-churn --channels 5
#
# Environment:
#   PUSH_PORT / SOKETI_PORT / CEILING_PORT   ports (default 17601 / 17602 / 17603); each must be free
#   SERVER_JAVA, SERVER_JAVA_OPTS            JDK and options for push-server and the ceiling (default: java, -Xmx2g);
#                                            push-server starts through bin/push-server (the launcher users run),
#                                            so its JVM options come first and SERVER_JAVA_OPTS is added after them
#   BENCH_JAVA, BENCH_JAVA_OPTS              JDK and options for the generator (default: java, -Xmx2g)
#   SERVER_JAR                               push-server jar to run (default: this checkout's; e.g. an older build)
#   SOKETI_DIR                               where soketi is installed (default /tmp/push-bench-soketi-1.6.1; reused)
#   NODE                                     node binary for soketi (default: node; soketi 1.6.1 runs on Node 20)
#   SETTLE                                   seconds to wait between servers (default 3)
#   SERVER_CPUS, BENCH_CPUS                  pin the server / the generator with taskset (e.g. 0 and 1), so each
#                                            gets its own core and their CPU figures do not steal from each other
#
# Everything listens on and connects to 127.0.0.1 only. Servers this script starts are stopped by their PID.
set -euo pipefail

SERVERS="push-server,soketi,ceiling"
RUNS=1
OUT_DIR=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) SERVERS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --out-dir) OUT_DIR="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
if [[ $# -lt 1 ]]; then
  echo "usage: $0 [--servers LIST] [--runs N] [--out-dir DIR] SCENARIO [options...]" >&2
  exit 2
fi
SCENARIO="$1"; shift
ARGS=("$@")

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH_JAR="$ROOT/push-bench/target/push-bench.jar"
SERVER_JAR="${SERVER_JAR:-$ROOT/push-server/target/push-server.jar}"
PUSH_PORT="${PUSH_PORT:-17601}"
SOKETI_PORT="${SOKETI_PORT:-17602}"
CEILING_PORT="${CEILING_PORT:-17603}"
SERVER_JAVA="${SERVER_JAVA:-java}"
SERVER_JAVA_OPTS="${SERVER_JAVA_OPTS:--Xmx2g}"
BENCH_JAVA="${BENCH_JAVA:-java}"
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xmx2g}"
SOKETI_DIR="${SOKETI_DIR:-/tmp/push-bench-soketi-1.6.1}"
NODE="${NODE:-node}"
SETTLE="${SETTLE:-3}"
SERVER_PIN=()
BENCH_PIN=()
if [[ -n "${SERVER_CPUS:-}" ]]; then SERVER_PIN=(taskset -c "$SERVER_CPUS"); fi
if [[ -n "${BENCH_CPUS:-}" ]]; then BENCH_PIN=(taskset -c "$BENCH_CPUS"); fi
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/push-bench-compare.XXXXXX)}"
mkdir -p "$OUT_DIR"

# one server process holds ~20k sockets at most here: use the whole hard limit
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [[ ! -f "$BENCH_JAR" || ! -f "$SERVER_JAR" ]]; then
  echo "== building jars" >&2
  (cd "$ROOT" && mvn -q -B -DskipTests package)
fi

SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    sleep 1
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free() {
  # SO_REUSEPORT listeners can share a port silently: never start a server on a port something answers on
  if port_open "$1"; then
    echo "port $1 is already in use; set ${2}_PORT to a free port" >&2
    exit 1
  fi
}

wait_port() {
  for _ in $(seq 1 600); do
    if port_open "$1"; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

install_soketi() {
  if [[ -x "$SOKETI_DIR/node_modules/@soketi/soketi/bin/server.js" ]]; then
    return 0
  fi
  echo "== installing soketi 1.6.1 into $SOKETI_DIR" >&2
  mkdir -p "$SOKETI_DIR"
  # soketi's uWebSockets.js git dependency cannot be fetched here: override it with the npm-published build
  cat > "$SOKETI_DIR/package.json" <<'EOF'
{
  "name": "push-bench-soketi",
  "private": true,
  "dependencies": { "@soketi/soketi": "1.6.1" },
  "overrides": { "uWebSockets.js": "npm:@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0" }
}
EOF
  (cd "$SOKETI_DIR" && npm install --no-audit --no-fund --loglevel=error)
}

start_server() { # name -> SERVER_PID, PORT
  local name="$1" log="$OUT_DIR/$1.server.log"
  case "$name" in
    push-server)
      PORT="$PUSH_PORT"; require_free "$PORT" PUSH
      # limits raised so the server's defaults do not shape the comparison (soketi's are off by default); one
      # generator opens thousands of connections per second from a few loopback addresses
      PUSH_LOG_LEVEL=WARN PUSH_MAX_CONNECTIONS_PER_IP=0 PUSH_MAX_NEW_CONNECTIONS_PER_IP_PER_SECOND=0 \
        PUSH_APPS_0_ID=app-id PUSH_APPS_0_KEY=app-key PUSH_APPS_0_SECRET=app-secret \
        PUSH_APPS_0_ENABLE_CLIENT_MESSAGES=true PUSH_APPS_0_MAX_CONNECTIONS=0 \
        PUSH_APPS_0_MAX_CLIENT_EVENTS_PER_SECOND=1000000 PUSH_APPS_0_MAX_MESSAGES_PER_SECOND=1000000 \
        PUSH_APPS_0_MAX_SUBSCRIPTIONS_PER_SECOND=1000000 \
        PUSH_APPS_0_MAX_PRESENCE_MEMBERS=1000 PUSH_APPS_0_MAX_EVENT_PAYLOAD=102400 \
        JAVA="$SERVER_JAVA" JAVA_OPTS="$SERVER_JAVA_OPTS" PUSH_SERVER_JAR="$SERVER_JAR" \
        "${SERVER_PIN[@]}" "$ROOT/bin/push-server" --host 127.0.0.1 --port "$PORT" >"$log" 2>&1 &
      SERVER_PID=$! ;;
    soketi)
      PORT="$SOKETI_PORT"; require_free "$PORT" SOKETI
      install_soketi
      SOKETI_HOST=127.0.0.1 SOKETI_PORT="$PORT" \
        SOKETI_DEFAULT_APP_ID=app-id SOKETI_DEFAULT_APP_KEY=app-key SOKETI_DEFAULT_APP_SECRET=app-secret \
        SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES=true SOKETI_DEFAULT_APP_MAX_CONNS=-1 \
        SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC=-1 SOKETI_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC=-1 \
        SOKETI_DEFAULT_APP_MAX_READ_REQ_PER_SEC=-1 SOKETI_EVENT_MAX_SIZE_IN_KB=100 SOKETI_EVENT_MAX_BATCH_SIZE=10 \
        SOKETI_PRESENCE_MAX_MEMBERS=1000 SOKETI_METRICS_ENABLED=false SOKETI_SHUTDOWN_GRACE_PERIOD=1000 \
        "${SERVER_PIN[@]}" "$NODE" "$SOKETI_DIR/node_modules/@soketi/soketi/bin/server.js" start >"$log" 2>&1 &
      SERVER_PID=$! ;;
    ceiling)
      PORT="$CEILING_PORT"; require_free "$PORT" CEILING
      "${SERVER_PIN[@]}" $SERVER_JAVA $SERVER_JAVA_OPTS -jar "$BENCH_JAR" ceiling --host 127.0.0.1 --port "$PORT" \
        --max-seconds 7200 >"$log" 2>&1 &
      SERVER_PID=$! ;;
    *) echo "unknown server $name" >&2; exit 2 ;;
  esac
  if ! wait_port "$PORT"; then
    echo "$name did not start; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 1
}

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# the ceiling only knows fan-out to everyone and fake subscriptions
ceiling_fits() {
  case "$SCENARIO" in
    fanout|http-triggers|connections|slow-consumer) return 0 ;;
    *) return 1 ;;
  esac
}

FILES=()
IFS=',' read -r -a LIST <<<"$SERVERS"
for run in $(seq 1 "$RUNS"); do
  for name in "${LIST[@]}"; do
    if [[ "$name" == ceiling ]] && ! ceiling_fits; then
      echo "== skipping the ceiling: it does not implement $SCENARIO (channels, presence, client events)" >&2
      continue
    fi
    out="$OUT_DIR/$SCENARIO.$name.run$run.jsonl"
    : >"$out"
    echo "== run $run: $SCENARIO against $name" >&2
    start_server "$name"
    "${BENCH_PIN[@]}" $BENCH_JAVA $BENCH_JAVA_OPTS -jar "$BENCH_JAR" "$SCENARIO" --host 127.0.0.1 --port "$PORT" \
      --server-pid "$SERVER_PID" --label "$name" --out "$out" "${ARGS[@]}" || echo "(generator exited with $?)" >&2
    stop_server
    FILES+=("$out")
    sleep "$SETTLE"
  done
done

echo
echo "== results in $OUT_DIR"
$BENCH_JAVA -jar "$BENCH_JAR" report "${FILES[@]}"
