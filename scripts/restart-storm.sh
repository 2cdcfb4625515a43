#!/usr/bin/env bash
# The reconnect storm after a restart: N clients log in with their passwords (and get session
# tokens), the server is stopped (SIGTERM: clients told, store flushed) and started again on the
# same port and store, and every client logs back in with `resume`. Prints chat-bench's report;
# `reconnect.since_first_back_s` is how long the storm took once the server answered again.
#
#   scripts/restart-storm.sh [CLIENTS] [--tls]
#
# Needs release builds of chat-server and chat-bench (cargo build --release -p chat-server
# -p chat-bench); S and B name other binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-10000}
tls=${2:-}
S=${S:-target/release/chat-server}
B=${B:-target/release/chat-bench}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$dir"' EXIT

flags=(--data-dir "$dir" --bcrypt-cost 4 --allow-weak-bcrypt --max-connections 60000
       --max-connections-per-ip 0 --flood-per-second 0 --registrations-per-ip 1000000
       --login-free-failures 1000000 --hash-queue 10000)
[ "$tls" = "--tls" ] || flags+=(--no-tls)

start_server() {
  "$S" --bind "$1" "${flags[@]}" >"$dir/server.out" 2>"$dir/server.log" &
  server=$!
  for _ in $(seq 100); do
    grep -q '^listening on' "$dir/server.out" 2>/dev/null && return
    sleep 0.1
  done
  echo "the server did not start" >&2
  exit 1
}

start_server 127.0.0.1:0
addr=$(sed -n 's/^listening on //p' "$dir/server.out")
sources=$(( clients / 20000 + 1 ))
"$B" idle --addr "$addr" -n "$clients" --hold 1 --reconnect --threads 2 --sources "$sources" \
  --login-concurrency 1000 --timeout 600 $tls --server-pid "$server" \
  >"$dir/report.json" 2>"$dir/bench.log" &
bench=$!
until grep -q '^ready: restart' "$dir/bench.log"; do
  kill -0 "$bench" 2>/dev/null || { cat "$dir/bench.log" >&2; exit 1; }
  sleep 0.2
done
kill -TERM "$server"
wait "$server" || true
start_server "$addr"
wait "$bench" || true
cat "$dir/report.json"
