#!/usr/bin/env bash
# The figures of the storms work in one batch, each on a freshly started server:
#   burst    p99 with 1,000 members and 10 senders at 100k deliveries/s, senders in phase
#            (`--phase together`) beside spread out (`--phase spread`)
#   tls      fan-out at N=100 and N=1,000 and p99 at 100k/s, TLS on beside plain TCP
#   idle     memory per idle client, 10,000 clients, TLS on beside plain TCP
#   resume   logins/s with 100 at once: passwords (cost 4) beside session tokens (`resume`)
#   chat     chat p99 at 20k deliveries/s alone, and while 1,000 clients log in at once with
#            session tokens
#   history  fan-out at N=1,000 and p99 at 100k/s with room history kept (the default, 200
#            lines a room) beside none (`--history-per-room 0`)
#
#   scripts/storms.sh [ROUNDS] [TESTS…]     # default 3 rounds of every test; prints a table
#
# The restart storm and the ceiling have scripts of their own (restart-storm.sh, ceiling.sh).
# Needs release builds (cargo build --release -p chat-server -p chat-bench); S and B name other
# binaries; reports are kept in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
rounds=${1:-3}
shift || true
tests=${*:-burst tls history idle resume chat}
S=${S:-target/release/chat-server}
B=${B:-target/release/chat-bench}
tmp=$(mktemp -d)
OUT=${OUT:-$tmp/reports}
mkdir -p "$OUT"
server=""
SERVER_EXTRA=""
ulimit -n "$(ulimit -Hn)"

stop_server() {
  [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  server=""
}
trap 'stop_server; rm -rf "$tmp/data"' EXIT

# Starts a fresh server; `tls` as $1 keeps TLS on (the default), anything else turns it off.
start_server() {
  local tls=$1
  shift
  stop_server
  # The shell truncates server.out in the child it forks, maybe after listening_address has read
  # the last server's address: remove it first.
  rm -rf "$tmp/data" "$tmp/server.out"
  local flags=(--bind 127.0.0.1:0 --data-dir "$tmp/data" --bcrypt-cost 4 --allow-weak-bcrypt
    --max-connections 50000 --max-connections-per-ip 0 --flood-per-second 0
    --registrations-per-ip 1000000 --login-free-failures 1000000 --hash-queue 10000)
  [ "$tls" = tls ] || flags+=(--no-tls)
  # shellcheck disable=SC2086
  "$S" "${flags[@]}" $SERVER_EXTRA "$@" >"$tmp/server.out" 2>"$tmp/server.log" &
  server=$!
  addr=$(listening_address "$tmp/server.out" "$server" "$tmp/server.log") || exit 1
}

: >"$tmp/runs.tsv"
# Appends a row: test, case, round, then fields picked from report $4 by jq expression $5.
row() {
  local report=$4
  jq -r --arg t "$1" --arg c "$2" --arg r "$3" "[\$t, \$c, \$r, $5] | @tsv" "$report" \
    >>"$tmp/runs.tsv" 2>/dev/null ||
    printf '%s\t%s\t%s\tno-report\n' "$1" "$2" "$3" >>"$tmp/runs.tsv"
  tail -n 1 "$tmp/runs.tsv" >&2
}

FANOUT='.deliveries_per_sec, .latency_us.p50 / 1000, .latency_us.p99 / 1000, .outcome, .lost, .disconnects, (.server_cpu_us_per_delivery // "-")'

# A fan-out run: test $1, case $2, round $3, TLS (tls|plain) $4, chat-bench flags $5….
fanout() {
  local test=$1 case=$2 round=$3 tls=$4 report
  shift 4
  start_server "$tls"
  report=$OUT/$test-$case-$round.json
  local flags=("$@")
  [ "$tls" = tls ] && flags+=(--tls)
  "$B" fanout --addr "$addr" "${flags[@]}" --server-pid "$server" \
    >"$report" 2>"$OUT/$test-$case-$round.log" || true
  stop_server
  row "$test" "$case" "$round" "$report" "$FANOUT"
}

burst() {
  for phase in together spread; do
    fanout burst "$phase" "$1" plain -n 1000 -k 10 -m 100 --rate 100 --threads 2 --timeout 300 \
      --phase "$phase"
  done
}

tls() {
  for tls in tls plain; do
    fanout n100 "$tls" "$1" "$tls" -n 100 -k 10 -m 5000 --threads 2 --timeout 300
    fanout n1000 "$tls" "$1" "$tls" -n 1000 -k 10 -m 500 --threads 2 --timeout 300
    fanout p99 "$tls" "$1" "$tls" -n 1000 -k 10 -m 100 --rate 100 --threads 2 --timeout 300
  done
}

history() {
  for keep in 200 0; do
    SERVER_EXTRA="--history-per-room $keep"
    fanout n1000 "history-$keep" "$1" plain -n 1000 -k 10 -m 500 --threads 2 --timeout 300
    fanout p99 "history-$keep" "$1" plain -n 1000 -k 10 -m 100 --rate 100 --threads 2 --timeout 300
  done
  SERVER_EXTRA=""
}

idle() {
  local report
  for tls in tls plain; do
    start_server "$tls"
    report=$OUT/idle-$tls-$1.json
    local flags=(-n 10000 --hold 5 --threads 2 --timeout 300)
    [ "$tls" = tls ] && flags+=(--tls)
    "$B" idle --addr "$addr" "${flags[@]}" --server-pid "$server" \
      >"$report" 2>"$OUT/idle-$tls-$1.log" || true
    stop_server
    row idle "$tls" "$1" "$report" \
      '(.server_rss_kb_after - .server_rss_kb_before) * 1024 / .clients / 1000, .login_s, .outcome, .disconnects'
  done
}

resume() {
  local report
  start_server plain
  for how in password resume; do
    report=$OUT/resume-$how-$1.json
    local flags=(-c 100 -s 10 --threads 2 --timeout 300)
    [ "$how" = resume ] && flags+=(--resume)
    "$B" logins --addr "$addr" "${flags[@]}" --server-pid "$server" \
      >"$report" 2>"$OUT/resume-$how-$1.log" || true
    row logins "$how" "$1" "$report" '.logins_per_sec, .latency_ms.p50, .latency_ms.p99, .outcome, .failed, .server_busy'
  done
  stop_server
}

# Chat at 20k deliveries/s (100 members, 10 senders, 200 messages/s) alone, then with 1,000
# clients logging in with tokens at once while it sends.
chat() {
  local report logins
  start_server plain
  report=$OUT/chat-alone-$1.json
  "$B" fanout --addr "$addr" -n 100 -k 10 -m 300 --rate 200 --prefix member --room calm \
    --server-pid "$server" >"$report" 2>"$OUT/chat-alone-$1.log" || true
  row chat alone "$1" "$report" "$FANOUT"
  report=$OUT/chat-storm-$1.json
  logins=$OUT/chat-storm-logins-$1.json
  "$B" fanout --addr "$addr" -n 100 -k 10 -m 300 --rate 200 --prefix member --room storm \
    --server-pid "$server" >"$report" 2>"$OUT/chat-storm-$1.log" &
  local fan=$!
  until grep -q 'sending' "$OUT/chat-storm-$1.log" 2>/dev/null; do
    kill -0 "$fan" 2>/dev/null || break
    sleep 0.1
  done
  "$B" logins --addr "$addr" -c 1000 --login-concurrency 1000 -s 8 --resume --prefix storm \
    --timeout 300 >"$logins" 2>"$OUT/chat-storm-logins-$1.log" || true
  wait "$fan" || true
  stop_server
  row chat "resume-storm" "$1" "$report" "$FANOUT"
  row logins "storm-1000" "$1" "$logins" '.logins_per_sec, .latency_ms.p50, .latency_ms.p99, .outcome, .failed, .server_busy'
}

echo "load before: $(cat /proc/loadavg)" >&2
for round in $(seq "$rounds"); do
  for test in $tests; do "$test" "$round"; done
done
echo "load after: $(cat /proc/loadavg)" >&2
cp "$tmp/runs.tsv" "$OUT/runs.tsv"
echo
echo "Every run: fan-out and chat (deliveries/s, p50 ms, p99 ms, outcome, lost, disconnects, the"
echo "server's CPU µs per delivery);"
echo "idle (kB per client, login s, outcome, disconnects); logins (per s, p50 ms, p99 ms, outcome,"
echo "failed, server_busy):"
column -t -s $'\t' "$tmp/runs.tsv"
echo "reports: $OUT" >&2
