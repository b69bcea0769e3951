#!/usr/bin/env bash
# Every scenario at a tiny size against push-server, soketi and the ceiling (where it applies), one after the other:
# a quick check that the whole chain works on this machine (a few minutes; not a measurement).
#   push-bench/scripts/smoke-all.sh [--servers push-server,soketi,ceiling] [OUT_DIR]
set -euo pipefail
SERVERS=(--servers "push-server,soketi,ceiling")
if [[ "${1:-}" == --servers ]]; then SERVERS=(--servers "$2"); shift 2; fi
OUT="${1:-$(mktemp -d /tmp/push-bench-smoke.XXXXXX)}"
C="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/compare.sh"
run() { local name="$1"; shift; "$C" "${SERVERS[@]}" --out-dir "$OUT/$name" "$@"; }
run connections connections --connections 500 --hold 1
run fanout fanout --subscribers 200 --rates 20,50 --warmup 2 --duration 3
run http-triggers http-triggers --rates 0 --warmup 1 --duration 2
run many-channels many-channels --connections 500 --rates 200 --batch 0,10 --warmup 1 --duration 2
run client-events client-events --groups 10 --warmup 1 --duration 2
run presence-churn presence-churn --channels 3 --churners 10 --actions-per-second 50 --warmup 1 --duration 2
run slow-consumer slow-consumer --subscribers 200 --rate 50 --payload 1000 --warmup 1 --duration 4 --recover 3
echo "all smoke results under $OUT"
