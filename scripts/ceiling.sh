#!/usr/bin/env bash
# The ceiling of one server: CLIENTS idle clients (default 40,000) connect and log in, their
# source addresses spread over 127.0.1.x (one address has about 28,000 ports); prints the
# `idle` report (how many got in, how many were refused and how), whether the server was still
# up and answering afterwards, and the kernel limits in force.
#
#   scripts/ceiling.sh [CLIENTS]
#
# Run as root to raise the open-files limit of both processes (and, with RAISE=1, the kernel's
# `kernel.pid_max` and `vm.max_map_count` first: the limits one thread per client meets; see
# docs/DEPLOY.md). Needs release builds; S and B name other binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
clients=${1:-40000}
S=${S:-target/release/chat-server}
B=${B:-target/release/chat-bench}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$dir"' EXIT
ulimit -n "$(( clients * 2 + 1000 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "${RAISE:-0}" = 1 ]; then
  sysctl -q -w kernel.pid_max=4194304 vm.max_map_count=1048576
fi
echo "kernel.pid_max=$(sysctl -n kernel.pid_max) kernel.threads-max=$(sysctl -n kernel.threads-max)" \
  "vm.max_map_count=$(sysctl -n vm.max_map_count) open files=$(ulimit -n)" \
  "tasks running=$(ps -eLf | wc -l)" >&2

"$S" --bind 127.0.0.1:0 --data-dir "$dir/data" --no-tls --bcrypt-cost 4 --allow-weak-bcrypt \
  --max-connections $(( clients + 10000 )) --max-connections-per-ip 0 --flood-per-second 0 \
  --registrations-per-ip 100000000 --login-free-failures 1000000 --hash-queue 100000 \
  >"$dir/server.out" 2>"$dir/server.log" &
server=$!
addr=$(listening_address "$dir/server.out" "$server" "$dir/server.log")
sources=$(( clients / 20000 + 1 ))
"$B" idle --addr "$addr" -n "$clients" --hold 10 --threads 2 --sources "$sources" \
  --login-concurrency 500 --timeout 900 --server-pid "$server" \
  >"$dir/report.json" 2>"$dir/bench.log" || true
cat "$dir/report.json"
if kill -0 "$server" 2>/dev/null; then
  echo "server: still running" >&2
else
  echo "server: GONE" >&2
fi
# What the server said when it could not take a client.
# (Addresses dropped so one refusal is one line; `|| true`: head closing the pipe early is fine.)
grep -v ' INFO ' "$dir/server.log" | cut -c 28- | sed 's/ addr=.*//' | sort | uniq -c |
  sort -rn | head -n 8 >&2 || true
# A client connecting after the storm is served.
"$B" logins --addr "$addr" -c 1 -s 1 --prefix after --timeout 60 | jq -c '{outcome, ok}' >&2
