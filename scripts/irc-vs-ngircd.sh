#!/usr/bin/env bash
# Fan-out through chat-server's IRC port against ngircd, with the same generator (chat-bench
# fanout --irc), and the native port's same runs beside them:
#
#   N=100,  10 senders × 5000 messages, window 256      (deliveries/s)
#   N=1000, 10 senders × 500 messages,  window 256      (deliveries/s)
#   N=1000, 10 senders × 100 messages at 100 messages/s (100k deliveries/s: p50, p99)
#
# the commands of docs/PERFORMANCE.md. Every run gets a freshly started server (and a fresh data
# directory); within a round the servers take turns on each case, so a slow half hour hits all
# of them. Prints one line per run, then the medians and the ratios ours/ngircd; the JSON reports
# are kept in $OUT (default: a temporary directory, printed at the end). Beside deliveries/s each
# run gives the server's CPU time per delivery (µs, read from /proc by chat-bench --server-pid):
# unlike deliveries/s, it does not depend on how much CPU the generator takes per protocol.
#
#   scripts/irc-vs-ngircd.sh [ROUNDS]        (default 3)
#
# Every case runs twice per server: with the generator's default, members asking Linux for
# delayed acknowledgements (acks "delayed"), and with `--immediate-acks`, Linux's own default for
# a connection that only receives (acks "immediate"). ngircd does not set TCP_NODELAY, so its
# small writes wait (Nagle) for the acknowledgement that a delayed-ack member holds back up to
# 40 ms: with delayed acks its p99 at 100k deliveries/s is about 39 ms instead of 8, and on a
# busy machine its deliveries/s fall to about half. chat-server sets TCP_NODELAY. The ratios
# compare like with like (the same acks for both) and each server at its best.
#
# Environment: S and B name other chat-server and chat-bench binaries (then nothing is built);
# NGIRCD another ngircd; BASE_B a second chat-bench whose native runs are added as "native-base"
# (to check that a generator change leaves the native figures alone); CASES a subset of
# "n100 n1000 p99"; SERVERS a subset of "native irc ngircd"; ACKS a subset of "delayed
# immediate".
#
# ngircd runs as a throwaway process (-n, a temporary configuration, a free loopback port) with
# every limit its configuration can lift lifted: MaxConnectionsIP = 0, MaxConnections = 0,
# MaxJoins = 0, and MaxPenaltyTime = 0, which caps every penalty under 10 s (command penalties,
# the 3-commands-per-pass and bytes-per-second throttles) at 0 s. What its configuration cannot
# change (compiled in): a client's commands are handled 3 per pass of the event loop (10 with
# user mode +F, which only an IRC operator can set), at most 2 KiB of a client's input is read
# ahead, a client whose output queue passes 32 KiB after a flush is disconnected ("Write buffer
# space exhausted"), and the listening socket's backlog is 10. (Senders made operators with +F
# measured no different: ngircd's one thread is then busy all the time anyway.)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
rounds=${1:-3}
cases=${CASES:-n100 n1000 p99}
servers=${SERVERS:-native irc ngircd}
acks_modes=${ACKS:-delayed immediate}
NGIRCD=${NGIRCD:-/usr/sbin/ngircd}
if [ -z "${S:-}${B:-}" ]; then
  cargo build --release -p chat-server -p chat-bench
fi
S=${S:-target/release/chat-server}
B=${B:-target/release/chat-bench}
[ -n "${BASE_B:-}" ] && servers="$servers native-base"
tmp=$(mktemp -d)
OUT=${OUT:-$tmp/reports}
mkdir -p "$OUT"
server=""
stop_server() {
  if [ -n "$server" ]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
trap 'stop_server; rm -rf "$tmp/data" "$tmp/ngircd"' EXIT
ulimit -n "$(ulimit -Hn)"

# Waits until $1 (a log file) has a line matching $2; fails if the server died.
wait_for() {
  for _ in $(seq 200); do
    grep -q "$2" "$1" 2>/dev/null && return
    kill -0 "$server" 2>/dev/null || break
    sleep 0.05
  done
  echo "the server did not start:" >&2
  cat "$1" >&2
  exit 1
}

# Starts chat-server with both ports; sets $server, $native_addr, $irc_addr.
start_chat() {
  # The shell truncates chat.out in the child it forks, maybe after wait_for has read the last
  # server's lines: remove it first.
  rm -rf "$tmp/data" "$tmp/chat.out"
  "$S" --bind 127.0.0.1:0 --irc-bind 127.0.0.1:0 --irc-guests --data-dir "$tmp/data" --no-tls \
    --bcrypt-cost 4 --allow-weak-bcrypt --max-connections 50000 --max-connections-per-ip 0 \
    --flood-per-second 0 --registrations-per-ip 1000000 --login-free-failures 1000000 \
    >"$tmp/chat.out" 2>"$tmp/chat.log" &
  server=$!
  wait_for "$tmp/chat.out" '^irc listening on .*:[0-9]'
  native_addr=$(sed -n 's/^listening on //p' "$tmp/chat.out")
  irc_addr=$(sed -n 's/^irc listening on //p' "$tmp/chat.out")
}

# Starts ngircd on a free port; sets $server and $irc_addr.
start_ngircd() {
  local port dir=$tmp/ngircd
  port=$(free_port)
  rm -rf "$dir"
  mkdir -p "$dir/include"
  cat >"$dir/ngircd.conf" <<EOF
[Global]
Name = bench.ngircd.local
Info = chat-bench reference
AdminInfo1 = chat-bench
AdminInfo2 = loopback
AdminEMail = bench@localhost
Listen = 127.0.0.1
Ports = $port
MotdPhrase = bench
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 30
MaxPenaltyTime = 0
PingTimeout = 600
PongTimeout = 120
[Options]
DNS = no
Ident = no
PAM = no
IncludeDir = $dir/include
EOF
  "$NGIRCD" -n --config "$dir/ngircd.conf" >"$dir/ngircd.log" 2>&1 &
  server=$!
  wait_for "$dir/ngircd.log" 'Now listening on'
  irc_addr=127.0.0.1:$port
}

case_flags() {
  case $1 in
    n100) echo "-n 100 -k 10 -m 5000 --threads 2 --timeout 300" ;;
    n1000) echo "-n 1000 -k 10 -m 500 --threads 2 --timeout 300" ;;
    p99) echo "-n 1000 -k 10 -m 100 --rate 100 --threads 2 --timeout 300" ;;
  esac
}

tck=$(getconf CLK_TCK)
# CPU seconds the whole machine has spent busy so far.
machine_cpu() {
  awk -v t="$tck" '/^cpu / { print ($2 + $3 + $4 + $7 + $8) / t }' /proc/stat
}
# CPU seconds process $1 has used so far.
process_cpu() {
  awk -v t="$tck" '{ print ($14 + $15) / t }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# Runs one case against one server with one acknowledgement mode; appends a line to
# $tmp/runs.tsv. `others_s` is the CPU time the rest of the machine used meanwhile (busy time
# less the server's and the generator's; the kernel's loopback work done outside either process
# lands there too, so it is not quite 0 on a quiet machine): a few seconds mean the run shared
# the cores with someone else's work.
#
# IRC members log in 8 at a time: ngircd listens with a backlog of 10 (compiled in), and more
# connections at once overflow it, after which the kernel retries them with growing pauses and
# setting up 1,000 members takes minutes. Setup is not timed.
run_one() {
  local round=$1 case=$2 who=$3 acks=$4 bench=$B addr flags report cpu0 wall0 wall server_cpu others
  cpu0=$(machine_cpu) wall0=$(date +%s.%N)
  case $who in
    native | native-base) start_chat; addr=$native_addr; flags="" ;;
    irc) start_chat; addr=$irc_addr; flags="--irc --login-concurrency 8" ;;
    ngircd) start_ngircd; addr=$irc_addr; flags="--irc --login-concurrency 8" ;;
  esac
  [ "$who" = native-base ] && bench=$BASE_B
  [ "$acks" = immediate ] && flags="$flags --immediate-acks"
  report=$OUT/$case-$who-$acks-$round.json
  # shellcheck disable=SC2046
  "$bench" fanout --addr "$addr" $(case_flags "$case") $flags --server-pid "$server" \
    >"$report" 2>"$OUT/$case-$who-$acks-$round.log" || true
  server_cpu=$(process_cpu "$server")
  stop_server
  others=$(awk -v a="$cpu0" -v b="$(machine_cpu)" -v s="$server_cpu" \
    -v g="$(jq -r '.bench_cpu_total_s // 0' "$report" 2>/dev/null || echo 0)" \
    'BEGIN { printf "%.1f", b - a - s - g }')
  wall=$(awk -v a="$wall0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  [ -s "$report" ] &&
    jq -r --arg who "$who" --arg case "$case" --arg round "$round" --arg acks "$acks" \
    --arg wall "$wall" --arg others "$others" \
    '[$case, $who, $acks, $round, .params.members, .deliveries_per_sec, .latency_us.p50,
      .latency_us.p99, .outcome, .lost, .disconnects, (.server_cpu_s // "-"), .bench_cpu_s,
      $wall, $others, (.server_cpu_us_per_delivery // "-")] | @tsv' "$report" >>"$tmp/runs.tsv" ||
    printf '%s\t%s\t%s\t%s\t-\t0\t0\t0\tno-report\t-\t-\t-\t-\t%s\t%s\t-\n' \
      "$case" "$who" "$acks" "$round" "$wall" "$others" >>"$tmp/runs.tsv"
  tail -n 1 "$tmp/runs.tsv" >&2
}

: >"$tmp/runs.tsv"
echo "load before: $(cat /proc/loadavg)" >&2
for round in $(seq "$rounds"); do
  for case in $cases; do
    for acks in $acks_modes; do
      for who in $servers; do
        run_one "$round" "$case" "$who" "$acks"
      done
    done
  done
done
echo "load after: $(cat /proc/loadavg)" >&2
cp "$tmp/runs.tsv" "$OUT/runs.tsv"

echo
echo "Every run (latency in ms; server and bench cpu in s over the timed phase; wall and others"
echo "(the rest of the machine's CPU) in s over the whole run, setup included; server_us: the"
echo "server's CPU per delivery in µs):"
{
  printf 'case\tserver\tacks\tround\tN\tdeliveries/s\tp50\tp99\toutcome\tlost\tdisc\tserver_cpu\tbench_cpu\twall\tothers\tserver_us\n'
  awk -F'\t' -v OFS='\t' '{ $6 = sprintf("%.2f M", $6 / 1e6); $7 = sprintf("%.2f", $7 / 1000);
    $8 = sprintf("%.2f", $8 / 1000); print }' "$tmp/runs.tsv"
} | column -t -s $'\t'

# The median of column $4 of the runs of case $1, server $2, acks $3 (0 when there are none).
median() {
  awk -F'\t' -v c="$1" -v w="$2" -v a="$3" -v col="$4" '$1 == c && $2 == w && $3 == a { print $col }' \
    "$tmp/runs.tsv" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0;
      else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Every value of column $4 for case $1, server $2, acks $3, divided by $5, with format $6.
values() {
  awk -F'\t' -v c="$1" -v w="$2" -v a="$3" -v col="$4" -v d="$5" -v f="$6" \
    '$1 == c && $2 == w && $3 == a { printf "%s" f, (n++ ? ", " : ""), $col / d }' "$tmp/runs.tsv"
}

# $1 / $2 with format $3; "-" when $2 is 0 or $1 is "-".
ratio() {
  awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { if (b == 0 || a == "-") print "-"; else printf f "\n", a / b }'
}

echo
echo "Medians (and every run):"
{
  printf 'server\tacks\tN\tdeliveries/s\tserver µs/delivery\tp50 ms\tp99 ms\n'
  for case in $cases; do
    n=$(case_flags "$case" | awk '{ print $2 }')
    for acks in $acks_modes; do
      for who in $servers; do
        printf '%s\t%s\t%s\t%s M (%s)\t%s (%s)\t%s\t%s (%s)\n' "$who" "$acks" "$n$([ "$case" = p99 ] && echo ', 100k/s')" \
          "$(ratio "$(median "$case" "$who" "$acks" 6)" 1000000 %.2f)" \
          "$(values "$case" "$who" "$acks" 6 1000000 %.2f)" \
          "$(ratio "$(median "$case" "$who" "$acks" 16)" 1 %.3f)" \
          "$(values "$case" "$who" "$acks" 16 1 %.3f)" \
          "$(ratio "$(median "$case" "$who" "$acks" 7)" 1000 %.2f)" \
          "$(ratio "$(median "$case" "$who" "$acks" 8)" 1000 %.2f)" \
          "$(values "$case" "$who" "$acks" 8 1000 %.2f)"
      done
    done
  done
} | column -t -s $'\t'

# The best median of column $3 over the acknowledgement modes for case $1, server $2 ($4: max or
# min).
best() {
  for acks in $acks_modes; do median "$1" "$2" "$acks" "$3"; done |
    sort -g | if [ "$4" = max ]; then tail -n 1; else head -n 1; fi
}

if [[ " $servers " == *" irc "* && " $servers " == *" ngircd "* ]]; then
  echo
  echo "chat-server's IRC port against ngircd (medians):"
  for case in $cases; do
    if [ "$case" = p99 ]; then
      line="p99 at 100k deliveries/s, ngircd/ours:"
      for acks in $acks_modes; do
        line="$line $acks acks $(ratio "$(median "$case" ngircd "$acks" 8)" "$(median "$case" irc "$acks" 8)" %.2f)x;"
      done
      echo "$line each at its best $(ratio "$(best "$case" ngircd 8 min)" "$(best "$case" irc 8 min)" %.2f)x"
    else
      line="$case deliveries/s, ours/ngircd:"
      for acks in $acks_modes; do
        line="$line $acks acks $(ratio "$(median "$case" irc "$acks" 6)" "$(median "$case" ngircd "$acks" 6)" %.2f)x;"
      done
      echo "$line each at its best $(ratio "$(best "$case" irc 6 max)" "$(best "$case" ngircd 6 max)" %.2f)x"
      line="$case server CPU per delivery, ngircd/ours:"
      for acks in $acks_modes; do
        line="$line $acks acks $(ratio "$(median "$case" ngircd "$acks" 16)" "$(median "$case" irc "$acks" 16)" %.2f)x;"
      done
      echo "${line%;}"
    fi
  done
fi
echo
echo "reports: $OUT"
