#!/usr/bin/env bash
# Fan-out across a two-node push-server cluster on Redis, compared with one node without Redis, with the same
# generator; then the Redis commands one subscribe and one publish cost.
#
#   push-bench/scripts/cluster.sh [--modes single,cluster] [--no-redis-ops] [--out-dir DIR] [fanout options...]
#
# single   one node on NODE1_PORT, in-memory state; subscribers and HTTP triggers on it
# cluster  redis-server on a free port (own process, no persistence) and two nodes with redis_url on NODE1_PORT and
#          NODE2_PORT; every subscriber on node 1, every HTTP trigger to node 2, so each event crosses Redis;
#          server CPU is the sum of both nodes (Redis's own CPU is printed apart, as redis_cpu_us_per_delivery)
# redis ops (cluster, unless --no-redis-ops): under MONITOR and INFO commandstats, REDIS_OPS_N connections (half
#          on each node) subscribing to one shared channel, then to channels of their own (and their disconnects), publishes
#          to a channel with no subscriber and with one subscriber on the other node; one JSON line per phase with
#          the Redis commands per operation (client round trips apart from commands run inside Lua scripts), net of
#          the idle background (heartbeats) measured first
#
# Fanout options default to --subscribers 1000 --rates 25,50,100 --stop-after-failures 3 when none are given
# (every rate runs even when p99 misses the knee criteria). Examples:
#   push-bench/scripts/cluster.sh
#   push-bench/scripts/cluster.sh --modes cluster --subscribers 200 --rates 20 --warmup 1 --duration 2
#
# Environment:
#   NODE1_PORT / NODE2_PORT        ports of the nodes (default 17601 / 17602); each must be free
#   REDIS_PORT                     Redis port (default: the first free port from 17650)
#   REDIS_SERVER, REDIS_CLI        binaries (default redis-server, redis-cli)
#   SERVER_CPUS, BENCH_CPUS        taskset CPU lists for the nodes and the generator (default 0 and 1; empty: no
#                                  pinning); REDIS_CPUS likewise for Redis (default: not pinned)
#   SERVER_JAVA, SERVER_JAVA_OPTS  JDK and options for the nodes (default: java, -Xmx1g)
#   BENCH_JAVA, BENCH_JAVA_OPTS    JDK and options for the generator (default: java, -Xmx2g)
#   REDIS_OPS_N, REDIS_OPS_RATE    subscribes per phase and publishes per second for the Redis ops (1000, 100)
#   SETTLE                         seconds between runs (default 3)
#
# Everything listens on and connects to 127.0.0.1 only. Processes this script starts are stopped by their PID.
set -euo pipefail

MODES="single,cluster"
REDIS_OPS=1
OUT_DIR=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --modes) MODES="$2"; shift 2 ;;
    --no-redis-ops) REDIS_OPS=0; shift ;;
    --out-dir) OUT_DIR="$2"; shift 2 ;;
    -h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
ARGS=("$@")
if [[ ${#ARGS[@]} -eq 0 ]]; then ARGS=(--subscribers 1000 --rates 25,50,100 --stop-after-failures 3); fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH_JAR="$ROOT/push-bench/target/push-bench.jar"
SERVER_JAR="$ROOT/push-server/target/push-server.jar"
NODE1_PORT="${NODE1_PORT:-17601}"
NODE2_PORT="${NODE2_PORT:-17602}"
REDIS_SERVER="${REDIS_SERVER:-redis-server}"
REDIS_CLI="${REDIS_CLI:-redis-cli}"
SERVER_JAVA="${SERVER_JAVA:-java}"
SERVER_JAVA_OPTS="${SERVER_JAVA_OPTS:--Xmx1g}"
BENCH_JAVA="${BENCH_JAVA:-java}"
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xmx2g}"
REDIS_OPS_N="${REDIS_OPS_N:-1000}"
REDIS_OPS_RATE="${REDIS_OPS_RATE:-100}"
SETTLE="${SETTLE:-3}"
SERVER_PIN=(); BENCH_PIN=(); REDIS_PIN=()
if [[ -n "${SERVER_CPUS-0}" ]]; then SERVER_PIN=(taskset -c "${SERVER_CPUS-0}"); fi
if [[ -n "${BENCH_CPUS-1}" ]]; then BENCH_PIN=(taskset -c "${BENCH_CPUS-1}"); fi
if [[ -n "${REDIS_CPUS:-}" ]]; then REDIS_PIN=(taskset -c "$REDIS_CPUS"); fi
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/push-bench-cluster.XXXXXX)}"
mkdir -p "$OUT_DIR"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [[ ! -f "$BENCH_JAR" || ! -f "$SERVER_JAR" ]]; then
  echo "== building jars" >&2
  (cd "$ROOT" && mvn -q -B -DskipTests package)
fi

PIDS=()          # every process this script started and has not stopped yet
REDIS_PID=""
MONITOR_PID=""
stop_pid() {
  local pid="$1"
  [[ -n "$pid" ]] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  for pid in ${MONITOR_PID:+$MONITOR_PID} "${PIDS[@]}"; do stop_pid "$pid"; done
  PIDS=(); MONITOR_PID=""
}
trap cleanup EXIT INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
require_free() {
  # SO_REUSEPORT listeners can share a port silently: never start on a port something answers on
  if port_open "$1"; then echo "port $1 is already in use; set $2 to a free port" >&2; exit 1; fi
}
wait_ready() { # port pid log: the port answers GET /ready with 200 (or /health for a node without it)
  local port="$1" pid="$2" log="$3"
  for _ in $(seq 1 600); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if port_open "$port" && curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "the process on port $port did not become ready; its log ($log):" >&2
  tail -50 "$log" >&2
  exit 1
}

start_redis() {
  if [[ -z "${REDIS_PORT:-}" ]]; then
    REDIS_PORT=17650
    while port_open "$REDIS_PORT"; do REDIS_PORT=$((REDIS_PORT + 1)); done
  fi
  require_free "$REDIS_PORT" REDIS_PORT
  "${REDIS_PIN[@]}" "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$OUT_DIR" --logfile "$OUT_DIR/redis.log" --daemonize no &
  REDIS_PID=$!; PIDS+=("$REDIS_PID")
  for _ in $(seq 1 100); do
    if "$REDIS_CLI" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then return 0; fi
    sleep 0.1
  done
  echo "redis-server did not start; $OUT_DIR/redis.log:" >&2; cat "$OUT_DIR/redis.log" >&2; exit 1
}

start_node() { # port node-id [redis-url] -> NODE_PID
  local port="$1" id="$2" url="${3:-}" log="$OUT_DIR/$2.log"
  require_free "$port" "NODE_PORT ($id)"
  # limits raised so the server's defaults do not shape the measurement: one generator opens thousands of
  # connections per second from a few loopback addresses
  env ${url:+PUSH_REDIS_URL=$url} ${url:+PUSH_NODE_ID=$id} \
    PUSH_LOG_LEVEL=WARN PUSH_MAX_CONNECTIONS_PER_IP=0 PUSH_MAX_NEW_CONNECTIONS_PER_IP_PER_SECOND=0 \
    PUSH_APPS_0_ID=app-id PUSH_APPS_0_KEY=app-key PUSH_APPS_0_SECRET=app-secret \
    PUSH_APPS_0_ENABLE_CLIENT_MESSAGES=true PUSH_APPS_0_MAX_CONNECTIONS=0 \
    PUSH_APPS_0_MAX_CLIENT_EVENTS_PER_SECOND=1000000 PUSH_APPS_0_MAX_MESSAGES_PER_SECOND=1000000 \
    PUSH_APPS_0_MAX_SUBSCRIPTIONS_PER_SECOND=1000000 PUSH_DATA_DIR="$OUT_DIR/data-$id" \
    "${SERVER_PIN[@]}" $SERVER_JAVA $SERVER_JAVA_OPTS -jar "$SERVER_JAR" --host 127.0.0.1 --port "$port" \
    >"$log" 2>&1 &
  NODE_PID=$!; PIDS+=("$NODE_PID")
  wait_ready "$port" "$NODE_PID" "$log"
}

cpu_ticks() { # pid -> utime+stime in clock ticks
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

bench() { # scenario args... (pinned generator, common target options)
  "${BENCH_PIN[@]}" $BENCH_JAVA $BENCH_JAVA_OPTS -jar "$BENCH_JAR" "$@"
}

FILES=()
IFS=',' read -r -a LIST <<<"$MODES"
for mode in "${LIST[@]}"; do
  out="$OUT_DIR/fanout.$mode.jsonl"
  : >"$out"
  case "$mode" in
    single)
      echo "== fanout against one node without Redis (port $NODE1_PORT)" >&2
      start_node "$NODE1_PORT" single
      sleep 1
      bench fanout --host 127.0.0.1 --port "$NODE1_PORT" --server-pid "$NODE_PID" --label push-server-1-node \
        --out "$out" "${ARGS[@]}" || echo "(generator exited with $?)" >&2
      ;;
    cluster)
      start_redis
      url="redis://127.0.0.1:$REDIS_PORT"
      echo "== fanout across two nodes on Redis $url: subscribers on $NODE1_PORT, triggers to $NODE2_PORT" >&2
      start_node "$NODE1_PORT" node-1 "$url"; P1=$NODE_PID
      start_node "$NODE2_PORT" node-2 "$url"; P2=$NODE_PID
      sleep 1
      r0=$(cpu_ticks "$REDIS_PID")
      bench fanout --host 127.0.0.1 --ports "$NODE1_PORT" --publish-port "$NODE2_PORT" --server-pid "$P1,$P2" \
        --label push-server-2-nodes --out "$out" "${ARGS[@]}" || echo "(generator exited with $?)" >&2
      r1=$(cpu_ticks "$REDIS_PID")
      # Redis's CPU over the whole run (connects, every point and its drain) per delivery of the run
      python3 - "$out" "$((r1 - r0))" <<'EOF' | tee -a "$out"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
delivered = sum(l.get('delivered', 0) for l in lines if not l.get('summary'))
us = int(sys.argv[2]) * 10000.0  # USER_HZ 100
print(json.dumps({"scenario": "fanout", "server": "redis", "redis_cpu_s": us / 1e6, "deliveries": delivered,
                  "redis_cpu_us_per_delivery": round(us / delivered, 4) if delivered else -1}))
EOF
      if [[ "$REDIS_OPS" == 1 ]]; then
        echo "== Redis commands per subscribe / publish (MONITOR + INFO commandstats)" >&2
        mon="$OUT_DIR/monitor.txt"
        sleep "$SETTLE"
        "$REDIS_CLI" -p "$REDIS_PORT" monitor >"$mon" &
        MONITOR_PID=$!
        sleep 0.5
        marks="$OUT_DIR/marks.txt"; : >"$marks"
        mark() { # name: a MONITOR line, a commandstats snapshot, a wall time
          "$REDIS_CLI" -p "$REDIS_PORT" echo "push-bench-mark:$1" >/dev/null
          "$REDIS_CLI" -p "$REDIS_PORT" info commandstats >"$OUT_DIR/cs.$1.txt"
          echo "$1 $(date +%s.%N)" >>"$marks"
        }
        # at each JSON line of the generator (printed while its connections are still open) set the next mark
        marked_run() { # out-file mark-names... -- bench args...
          local f="$1"; shift; local names=()
          while [[ "$1" != "--" ]]; do names+=("$1"); shift; done; shift
          local i=0
          mark "${names[0]}"
          while IFS= read -r line; do
            echo "$line" >>"$f"
            if [[ "$line" == "{"* ]]; then
              i=$((i + 1))
              if [[ $i -lt ${#names[@]} ]]; then mark "${names[$i]}"; fi
            fi
          done < <(bench "$@" || echo "(generator exited with $?)" >&2)
        }
        ops="$OUT_DIR/redis-ops.jsonl"; : >"$ops"
        mark idle0; sleep 5; mark idle1
        # subscribers on both nodes, as behind a load balancer; the generator prints a line after each step and
        # its hold, and closes everything right after the last: a second step of one connection keeps the N open
        # (and Redis quiet) while the first line is marked; the disconnects are counted from there (with that
        # one subscribe and the hold, minus the idle background)
        for mode_ in shared own; do
          marked_run "$OUT_DIR/subs-$mode_.jsonl" "sub_${mode_}0" "sub_${mode_}1" -- connections \
            --host 127.0.0.1 --ports "$NODE1_PORT,$NODE2_PORT" --connections "$REDIS_OPS_N,$((REDIS_OPS_N + 1))" \
            --channel-mode "$mode_" --hold 2 --label push-server-2-nodes
          sleep 2; mark "sub_${mode_}2"
        done
        marked_run "$OUT_DIR/publishes.jsonl" pub0 pub1 pub2 -- http-triggers --host 127.0.0.1 \
          --ports "$NODE1_PORT" --publish-port "$NODE2_PORT" --subscribers 0,1 --batch 0 --rates "$REDIS_OPS_RATE" \
          --warmup 0 --duration 5 --http-conns 4 --label push-server-2-nodes
        sleep 0.5
        stop_pid "$MONITOR_PID"; MONITOR_PID=""
        python3 - "$OUT_DIR" "$REDIS_OPS_N" <<'EOF' | tee "$ops"
import json, re, sys, collections
d, n = sys.argv[1], int(sys.argv[2])
marks = {}
for l in open(f"{d}/marks.txt"):
    k, t = l.split(); marks[k] = float(t)
def cs(name):
    out = {}
    for l in open(f"{d}/cs.{name}.txt"):
        m = re.match(r"cmdstat_([^:]+):calls=(\d+)", l)
        if m: out[m.group(1)] = int(m.group(2))
    return out
# MONITOR: split into segments at the marks; [db lua] lines ran inside a script
seg = collections.defaultdict(lambda: {"client": collections.Counter(), "lua": collections.Counter()})
cur = None
for l in open(f"{d}/monitor.txt", errors="replace"):
    m = re.match(r'^[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"(?: "([^"]*)")?', l)
    if not m: continue
    src, cmd, arg = m.group(1), m.group(2).lower(), m.group(3)
    if cmd == "echo" and arg and arg.startswith("push-bench-mark:"):
        cur = arg.split(":", 1)[1]; continue
    if cmd == "info" or cur is None: continue
    seg[cur]["lua" if src == "lua" else "client"][cmd] += 1
def jl(path):
    return [json.loads(l) for l in open(path) if l.startswith("{")]
idle_s = marks["idle1"] - marks["idle0"]
idle_cs = {k: v - cs("idle0").get(k, 0) for k, v in cs("idle1").items()}
idle_rate = sum(v for k, v in idle_cs.items() if k not in ("echo", "info")) / idle_s
idle_client_rate = sum(v for k, v in seg["idle0"]["client"].items()) / idle_s
idle_lua_rate = sum(v for k, v in seg["idle0"]["lua"].items()) / idle_s
print(json.dumps({"redis_ops": "idle", "seconds": round(idle_s, 2), "commands_per_s": round(idle_rate, 3),
                  "client_commands_per_s": round(idle_client_rate, 3), "by_command": dict(seg["idle0"]["client"]),
                  "in_scripts": dict(seg["idle0"]["lua"])}))
def report(what, a, b, count):
    secs = marks[b] - marks[a]
    before, after = cs(a), cs(b)
    delta = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0 and k not in ("echo", "info")}
    total = sum(delta.values()) - idle_rate * secs
    client = sum(seg[a]["client"].values()) - idle_client_rate * secs
    lua = sum(seg[a]["lua"].values()) - idle_lua_rate * secs
    print(json.dumps({"redis_ops": what, "operations": count, "seconds": round(secs, 2),
                      "commands_per_op": round(total / count, 3) if count else None,
                      "client_commands_per_op": round(client / count, 3) if count else None,
                      "script_commands_per_op": round(lua / count, 3) if count else None,
                      "commandstats_delta": delta, "client_by_command": dict(seg[a]["client"]),
                      "in_scripts_by_command": dict(seg[a]["lua"])}))
shared = jl(f"{d}/subs-shared.jsonl"); own = jl(f"{d}/subs-own.jsonl"); pubs = jl(f"{d}/publishes.jsonl")
report("subscribe_shared_channel (connect + subscribe)", "sub_shared0", "sub_shared1", shared[0]["connections"] if shared else n)
report("disconnect_shared_channel (+1 subscribe)", "sub_shared1", "sub_shared2", shared[-1]["connections"] if shared else n + 1)
report("subscribe_own_channel (connect + subscribe)", "sub_own0", "sub_own1", own[0]["connections"] if own else n)
report("disconnect_own_channel (+1 subscribe)", "sub_own1", "sub_own2", own[-1]["connections"] if own else n + 1)
if len(pubs) >= 2:
    report("publish_no_subscriber", "pub0", "pub1", pubs[0]["http_sent"])
    report("publish_one_subscriber_on_other_node (+1 subscribe)", "pub1", "pub2", pubs[1]["http_sent"])
EOF
      fi
      ;;
    *) echo "unknown mode $mode (single, cluster)" >&2; exit 2 ;;
  esac
  cleanup
  FILES+=("$out")
  sleep "$SETTLE"
done

echo
echo "== results in $OUT_DIR"
cat "${FILES[@]}"
[[ -f "$OUT_DIR/redis-ops.jsonl" ]] && cat "$OUT_DIR/redis-ops.jsonl"
echo
python3 - "${FILES[@]}" <<'EOF' || true
import json, sys
print("| server | rate | deliveries/s | p50 ms | p99 ms | lost | dup | server CPU us/delivery | redis CPU us/delivery |")
print("|---|---|---|---|---|---|---|---|---|")
for f in sys.argv[1:]:
    lines = [json.loads(l) for l in open(f) if l.startswith("{")]
    redis = next((l["redis_cpu_us_per_delivery"] for l in lines if l.get("server") == "redis"), "-")
    for l in lines:
        if l.get("summary") or l.get("server") == "redis": continue
        print(f'| {l["server"]} | {l["offered_rate"]} | {l["delivered_per_s"]:.0f} | {l["latency_p50_ms"]} | '
              f'{l["latency_p99_ms"]} | {l["lost"]} | {l["duplicates"]} | {l["server_cpu_us_per_delivery"]:.2f} | {redis} |')
EOF
