#!/usr/bin/env bash
# One node beside three, in one batch: fan-out and p99 with a room's members spread over the
# nodes (chat-bench `--also`), and logins/s at bcrypt cost 10 with one, two and three nodes.
#
#   scripts/cluster-bench.sh [ROUNDS]      # default 3; prints a table, keeps reports in $OUT
#
# Starts its own redis-server and PostgreSQL (as the `postgres` user when run as root) on free
# loopback ports, and fresh nodes and a fresh Redis for every run (PostgreSQL keeps the accounts,
# as it would in use). Cases:
#   single   today's server: one node, sled, no cluster (the baseline)
#   one      one node of a cluster (Redis for rooms, PostgreSQL for accounts)
#   three    three nodes of one cluster, members spread over them in turn
# Needs release builds (cargo build --release -p chat-server -p chat-bench); S and B name other
# binaries, PG_BIN another PostgreSQL (default: the newest under /usr/lib/postgresql).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
rounds=${1:-3}
S=${S:-target/release/chat-server}
B=${B:-target/release/chat-bench}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
tmp=$(mktemp -d)
OUT=${OUT:-$tmp/reports}
mkdir -p "$OUT"
nodes=()
redis=""
ulimit -n "$(ulimit -Hn)"


stop_nodes() {
  for pid in "${nodes[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${nodes[@]}"; do wait "$pid" 2>/dev/null || true; done
  nodes=()
}

stop_redis() {
  [ -n "$redis" ] && { kill "$redis" 2>/dev/null || true; wait "$redis" 2>/dev/null || true; }
  redis=""
}

cleanup() {
  stop_nodes
  stop_redis
  stop_postgres "$tmp/pg"
  rm -rf "$tmp/pg" "$tmp"/node*
}
trap cleanup EXIT

# PostgreSQL, once for the batch.
start_postgres "$tmp/pg"

start_redis() {
  stop_redis
  start_redis_server "$tmp/redis.log" || exit 1
}

# Starts node $1 (0, 1, 2) of kind $2 (single, cluster) with extra flags $3…; appends its
# address to $addrs and its PID to $nodes.
start_node() {
  local k=$1 kind=$2
  shift 2
  local dir=$tmp/node$k
  rm -rf "$dir"
  mkdir -p "$dir"
  local flags=(--bind 127.0.0.1:0 --data-dir "$dir/data" --no-tls --max-connections 50000
    --max-connections-per-ip 0 --flood-per-second 0 --registrations-per-ip 1000000
    --login-free-failures 1000000)
  [ "$kind" = cluster ] && flags+=(--cluster "redis://127.0.0.1:$redis_port" --accounts "$accounts"
    --node-name "node$k")
  "$S" "${flags[@]}" "$@" >"$dir/out" 2>"$dir/log" &
  nodes+=($!)
  local addr
  addr=$(listening_address "$dir/out" "${nodes[-1]}" "$dir/log") || exit 1
  addrs+=("$addr")
}

# Starts the nodes of case $1 with extra flags $2…; sets $addrs.
start_case() {
  local case=$1
  shift
  addrs=()
  case $case in
    single) start_node 0 single "$@" ;;
    one) start_redis; start_node 0 cluster "$@" ;;
    two) start_redis; for k in 0 1; do start_node "$k" cluster "$@"; done ;;
    three) start_redis; for k in 0 1 2; do start_node "$k" cluster "$@"; done ;;
  esac
}

also_flags() {
  local a
  for a in "${addrs[@]:1}"; do printf -- '--also %s ' "$a"; done
}

# --server-pid for every node: chat-bench adds up their CPU time (Redis and PostgreSQL not
# included).
pid_flags() {
  local pid
  for pid in "${nodes[@]}"; do printf -- '--server-pid %s ' "$pid"; done
}

: >"$tmp/runs.tsv"
# Fan-out at cost 4 (the logins are setup, not timed).
fanout() {
  local round=$1 test=$2 case=$3 report flags
  case $test in
    n1000) flags="-n 1000 -k 10 -m 500 --threads 2 --timeout 300" ;;
    p99) flags="-n 1000 -k 10 -m 100 --rate 100 --threads 2 --timeout 300" ;;
  esac
  start_case "$case" --bcrypt-cost 4 --allow-weak-bcrypt
  report=$OUT/$test-$case-$round.json
  # shellcheck disable=SC2046,SC2086
  "$B" fanout --addr "${addrs[0]}" $(also_flags) $flags --login-concurrency 100 $(pid_flags) \
    >"$report" 2>"$OUT/$test-$case-$round.log" || true
  stop_nodes
  jq -r --arg t "$test" --arg c "$case" --arg r "$round" \
    '[$t, $c, $r, .deliveries_per_sec, .latency_us.p50, .latency_us.p99, .outcome, .lost,
      .disconnects, (.server_cpu_us_per_delivery // "-")] | @tsv' "$report" >>"$tmp/runs.tsv" 2>/dev/null ||
    printf '%s\t%s\t%s\t0\t0\t0\tno-report\t-\t-\t-\n' "$test" "$case" "$round" >>"$tmp/runs.tsv"
  tail -n 1 "$tmp/runs.tsv" >&2
}

# Logins at the default cost (10): 100 connections logging in and out for 20 s.
logins() {
  local round=$1 case=$2 report
  start_case "$case"
  report=$OUT/logins-$case-$round.json
  # shellcheck disable=SC2046
  "$B" logins --addr "${addrs[0]}" $(also_flags) --prefix cost10- -c 100 -s 20 --timeout 300 \
    >"$report" 2>"$OUT/logins-$case-$round.log" || true
  stop_nodes
  jq -r --arg c "$case" --arg r "$round" \
    '["logins", $c, $r, .logins_per_sec, .latency_ms.p50, .latency_ms.p99, .outcome, "-", "-", "-"]
      | @tsv' "$report" >>"$tmp/runs.tsv" 2>/dev/null ||
    printf 'logins\t%s\t%s\t0\t0\t0\tno-report\t-\t-\t-\n' "$case" "$round" >>"$tmp/runs.tsv"
  tail -n 1 "$tmp/runs.tsv" >&2
}

echo "load before: $(cat /proc/loadavg)" >&2
for round in $(seq "$rounds"); do
  for test in n1000 p99; do
    for case in single one three; do fanout "$round" "$test" "$case"; done
  done
  for case in one two three; do logins "$round" "$case"; done
done
echo "load after: $(cat /proc/loadavg)" >&2
cp "$tmp/runs.tsv" "$OUT/runs.tsv"

echo
echo "Every run (fan-out: deliveries/s, latency p50/p99 in ms, the nodes' CPU µs per delivery;"
echo "logins: logins/s, p50/p99 in ms):"
{
  printf 'test\tcase\tround\trate\tp50\tp99\toutcome\tlost\tdisc\tserver_us\n'
  awk -F'\t' -v OFS='\t' '$1 != "logins" { $4 = sprintf("%.2f M", $4 / 1e6);
    $5 = sprintf("%.2f", $5 / 1000); $6 = sprintf("%.2f", $6 / 1000) }
    $1 == "logins" { $4 = sprintf("%.1f", $4) } { print }' "$tmp/runs.tsv"
} | column -t -s $'\t'
echo
echo "Medians:"
awk -F'\t' '{ k = $1 "\t" $2; v[k] = v[k] " " $4; w[k] = w[k] " " $6 }
  END { for (k in v) print k "\t" v[k] "\t" w[k] }' "$tmp/runs.tsv" | sort |
  while IFS=$'\t' read -r test case rates p99s; do
    m=$(tr ' ' '\n' <<<"$rates" | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    q=$(tr ' ' '\n' <<<"$p99s" | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    printf '%s\t%s\trate %s\tp99 %s\n' "$test" "$case" "$m" "$q"
  done | column -t -s $'\t'
echo "reports: $OUT" >&2
