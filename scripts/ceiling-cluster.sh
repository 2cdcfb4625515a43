#!/usr/bin/env bash
# Past one process's ceiling on one machine: two nodes of a cluster (rooms through Redis,
# accounts in PostgreSQL) hold CLIENTS idle clients between them (default 26,000), all in the
# one default room. One process meets its own limits first (open files, and vm.max_map_count,
# which counts per process: see docs/DEPLOY.md); two nodes each meet them at half the load.
# Each node gets its own generator (a generator has the same open-files limit), both hold their
# clients at once, and while they hold, an IRC guest on node 0 asks LIST: the default room's
# member count is the cluster's, both nodes' clients together.
#
#   scripts/ceiling-cluster.sh [CLIENTS]
#
# Starts its own redis-server and PostgreSQL (as the `postgres` user when run as root) on free
# loopback ports. Needs release builds (cargo build --release -p chat-server -p chat-bench);
# S and B name other binaries, PG_BIN another PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
clients=${1:-26000}
half=$(( clients / 2 ))
S=${S:-target/release/chat-server}
B=${B:-target/release/chat-bench}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
tmp=$(mktemp -d)
ulimit -n "$(ulimit -Hn)"

cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  stop_postgres "$tmp/pg"
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "vm.max_map_count=$(sysctl -n vm.max_map_count) kernel.pid_max=$(sysctl -n kernel.pid_max)" \
  "open files=$(ulimit -n) tasks running=$(ps -eLf | wc -l)" >&2

start_postgres "$tmp/pg" fsync=off
start_redis_server "$tmp/redis.log"

addrs=()
pids=()
for k in 0 1; do
  mkdir -p "$tmp/node$k"
  irc=()
  [ "$k" = 0 ] && irc_port=$(free_port) && irc=(--irc-bind "127.0.0.1:$irc_port" --irc-guests)
  "$S" --bind 127.0.0.1:0 "${irc[@]}" --data-dir "$tmp/node$k/data" --no-tls \
    --cluster "redis://127.0.0.1:$redis_port" --accounts "$accounts" --node-name "node$k" \
    --bcrypt-cost 4 --allow-weak-bcrypt --max-connections $(( half + 1000 )) \
    --max-connections-per-ip 0 --flood-per-second 0 --registrations-per-ip 100000000 \
    --login-free-failures 1000000 --hash-queue 100000 \
    >"$tmp/node$k/out" 2>"$tmp/node$k/log" &
  pids+=($!)
  addrs+=("$(listening_address "$tmp/node$k/out" "${pids[-1]}" "$tmp/node$k/log")")
done

# Both generators log their halves in, then hold long enough for the other to finish too.
gens=()
for k in 0 1; do
  "$B" idle --addr "${addrs[$k]}" -n "$half" --prefix "n${k}u" --hold 60 --threads 2 \
    --sources $(( half / 20000 + 1 )) --login-concurrency 250 --timeout 1200 \
    --server-pid "${pids[$k]}" >"$tmp/idle$k.json" 2>"$tmp/idle$k.log" &
  gens+=($!)
done
# When both are holding, ask node 0 over IRC how many are in the default room.
until grep -q 'holding' "$tmp/idle0.log" 2>/dev/null && grep -q 'holding' "$tmp/idle1.log" 2>/dev/null; do
  for g in "${gens[@]}"; do kill -0 "$g" 2>/dev/null || break 2; done
  sleep 1
done
sleep 5
exec 3<>"/dev/tcp/127.0.0.1/$irc_port"
printf 'NICK watcher\r\nUSER watcher 0 * :watcher\r\n' >&3
sleep 2
printf 'LIST\r\n' >&3
sleep 2
printf 'QUIT\r\n' >&3
timeout 10 cat <&3 | tr -d '\r' | grep -E ' 322 ' >&2 || echo "LIST gave no answer" >&2
exec 3<&-
for k in 0 1; do
  echo "node $k: $(ps -o nlwp= -p "${pids[$k]}") threads, $(ls /proc/"${pids[$k]}"/fd | wc -l) descriptors" >&2
done
for g in "${gens[@]}"; do wait "$g" || true; done
for k in 0 1; do
  jq -c '{node: "'"$k"'", outcome, clients, logged_in, login_failures, disconnects, login_s,
    rss_per_client_bytes, server_threads_after, failures}' "$tmp/idle$k.json"
done
