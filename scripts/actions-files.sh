#!/usr/bin/env bash
# The figures of message actions (reactions) and shared files in one batch, each run on a freshly
# started server:
#   storms   1,000 members chatting at 10k deliveries/s (10 lines/s) while, every few seconds,
#            every member reacts to one line within a second: each must end with every
#            reaction's exact count; chat p99 of lines said during the storms beside between
#            them. Twenty kinds of emoji (the most a line carries: the largest events), then one.
#   ab       plain fan-out (N=100 and N=1,000, as fast as the window allows; p99 at 100k
#            deliveries/s) with the server binary $BASE (a build from before message actions)
#            and $S in turn
#   files    a 25 MiB file up and down over TLS beside the same bytes over a bare TLS stream
#   sizes    the server's peak memory (VmHWM) with a file of 5, 25 and 60 MiB up and down
#   uploads  100 members chatting at 10k deliveries/s over TLS while 10 of them each upload 25
#            MiB, in rounds: chat p99 for the others and for the uploaders' own lines, during
#            the rounds beside between them, and the server's RSS growth in a round; with the
#            uploading threads at the generator's priority and at the lowest
#
#   scripts/actions-files.sh [ROUNDS] [TESTS…]   # default 3 rounds of every test; prints a table
#
# Needs release builds (cargo build --release -p chat-server -p chat-bench); S, B and BASE name
# the binaries; reports are kept in $OUT. The server's data directory is made under $TMPDIR
# (TMPDIR=/dev/shm keeps the uploads in memory; on a disk, each upload's sync is the disk's).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
rounds=${1:-3}
shift || true
tests=${*:-storms ab files sizes uploads}
S=${S:-target/release/chat-server}
B=${B:-target/release/chat-bench}
BASE=${BASE:-}
tmp=$(mktemp -d)
OUT=${OUT:-$tmp/reports}
mkdir -p "$OUT"
server=""
ulimit -n "$(ulimit -Hn)"

stop_server() {
  [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  server=""
}
trap 'stop_server; rm -rf "$tmp/data"' EXIT

# Starts a fresh server from binary $1; `tls` as $2 keeps TLS on (the default), anything else
# turns it off; more server flags follow.
start_server() {
  local bin=$1 tls=$2
  shift 2
  stop_server
  rm -rf "$tmp/data" "$tmp/server.out"
  local flags=(--bind 127.0.0.1:0 --data-dir "$tmp/data" --bcrypt-cost 4 --allow-weak-bcrypt
    --max-connections 50000 --max-connections-per-ip 0 --flood-per-second 0
    --registrations-per-ip 1000000 --login-free-failures 1000000)
  [ "$tls" = tls ] || flags+=(--no-tls)
  "$bin" "${flags[@]}" "$@" >"$tmp/server.out" 2>"$tmp/server.log" &
  server=$!
  addr=$(listening_address "$tmp/server.out" "$server" "$tmp/server.log") || exit 1
}

: >"$tmp/runs.tsv"
# Appends a row: test, case, round, the 1-minute load averages $4 before/after the run, then fields
# picked from report $5 by jq expression $6.
row() {
  local report=$5
  jq -r --arg t "$1" --arg c "$2" --arg r "$3" --arg l "$4" "[\$t, \$c, \$r, \$l, $6] | @tsv" \
    "$report" >>"$tmp/runs.tsv" 2>/dev/null ||
    printf '%s\t%s\t%s\t%s\tno-report\n' "$1" "$2" "$3" "$4" >>"$tmp/runs.tsv"
  tail -n 1 "$tmp/runs.tsv" >&2
}

FANOUT='.deliveries_per_sec, .latency_us.p50 / 1000, .latency_us.p99 / 1000, .outcome, .lost, .disconnects, (.server_cpu_us_per_delivery // "-")'
SPLIT='.quiet.p50 / 1000, .busy.p50 / 1000, .quiet.p99 / 1000, .busy.p99 / 1000, .p99_ratio'
STORMS="(.windows.latency | $SPLIT)"
STORMS="$STORMS, (.windows.storms | .done, .complete, ([.storms[].took_ms] | max), ([.storms[].events_per_member] | add / length), ([.storms[] | .events_per_member * 1000 / .took_ms] | add / length), .reactions_refused, .wrong_after_complete), .outcome, .lost"
UPLOADS="(.windows.to_others | $SPLIT), (.windows.from_uploaders | $SPLIT)"
UPLOADS="$UPLOADS, (.windows.uploads | .done, ([.rounds[].took_s] | max), (.max_rss_growth_kb / 1024), ([.rounds[].mbps] | add / length)), .outcome, .lost"
SIZES='.bytes / 1048576, .server_rss_kb[0] / 1024, .server_peak_rss_kb / 1024, (.server_peak_rss_kb - .server_rss_kb[0]) / 1024, .outcome'
FILES='(.medians | .stream_up_mbps, .file_up_mbps, .up_ratio, .stream_down_mbps, .file_down_mbps, .down_ratio)'

# A run of chat-bench $4 against a fresh server $5 (TLS: $6): test $1, case $2, round $3,
# chat-bench flags after `--`, server flags before it; row fields $FIELDS.
run() {
  local test=$1 case=$2 round=$3 command=$4 bin=$5 tls=$6 report load
  shift 6
  local server_flags=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do server_flags+=("$1"); shift; done
  shift
  load=$(cut -d ' ' -f 1 /proc/loadavg)
  start_server "$bin" "$tls" "${server_flags[@]}"
  report=$OUT/$test-$case-$round.json
  local flags=("$@")
  [ "$tls" = tls ] && flags+=(--tls)
  "$B" "$command" --addr "$addr" "${flags[@]}" --server-pid "$server" \
    >"$report" 2>"$OUT/$test-$case-$round.log" || true
  stop_server
  load="$load/$(cut -d ' ' -f 1 /proc/loadavg)"
  row "$test" "$case" "$round" "$load" "$report" "$FIELDS"
}

storms() {
  FIELDS=$STORMS
  for emoji in 20 1; do
    run storms "emoji-$emoji" "$1" fanout "$S" plain -- -n 1000 -k 10 -m 40 --rate 10 \
      --storms 8 --calm 3 --emoji "$emoji" --threads 2 --timeout 300
  done
}

ab() {
  [ -n "$BASE" ] || { echo "ab: set BASE to the server binary to compare with" >&2; return; }
  FIELDS=$FANOUT
  local name bin
  for name in base now; do
    bin=$S
    [ "$name" = base ] && bin=$BASE
    run n100 "$name" "$1" fanout "$bin" plain -- -n 100 -k 10 -m 5000 --threads 2 --timeout 300
    run n1000 "$name" "$1" fanout "$bin" plain -- -n 1000 -k 10 -m 500 --threads 2 --timeout 300
    run p99 "$name" "$1" fanout "$bin" plain -- -n 1000 -k 10 -m 100 --rate 100 --threads 2 \
      --timeout 300
  done
}

files() {
  FIELDS=$FILES
  run files tls "$1" files "$S" tls --quota-mb 100000 --max-file-mb 64 -- --mib 25 --rounds 10
}

# The server's peak memory with files of three sizes, each on a fresh server: what the files
# cost must not grow with their size.
sizes() {
  FIELDS=$SIZES
  local mib
  for mib in 5 25 60; do
    run sizes "mib-$mib" "$1" files "$S" tls --quota-mb 100000 --max-file-mb 64 -- --mib "$mib" \
      --rounds 3
  done
}

# Twice a round: the uploading threads at the generator's priority, then at the lowest (as
# uploaders on other machines, whose TLS work does not compete with the members timed here).
uploads() {
  FIELDS=$UPLOADS
  local nice
  for nice in 0 19; do
    run uploads "tls-nice$nice" "$1" fanout "$S" tls --quota-mb 100000 --max-file-mb 64 -- \
      -n 100 -k 20 -m 300 --rate 101 --upload-rounds 5 --uploaders 10 --upload-mib 25 \
      --uploaders-nice "$nice" --calm 3 --threads 2 --timeout 300
  done
}

echo "load before: $(cat /proc/loadavg)" >&2
for round in $(seq "$rounds"); do
  for test in $tests; do "$test" "$round"; done
done
echo "load after: $(cat /proc/loadavg)" >&2
cp "$tmp/runs.tsv" "$OUT/runs.tsv"
echo
echo "Every run: test, case, round, the 1-minute load average before/after it, then its figures."
echo "fan-out (n100, n1000, p99): deliveries/s, p50 ms, p99 ms, outcome, lost,"
echo "disconnects, the server's CPU µs per delivery. storms: p50 ms between and during storms,"
echo "p99 the same, p99 ratio, storms done, complete, slowest storm ms, reactions events per member, the same a second, refused,"
echo "wrong after complete, outcome, lost. files: MB/s stream up, file up, ratio, stream down,"
echo "file down, ratio. sizes: file MiB, server RSS MiB before, peak MiB, peak - before, outcome."
echo "uploads: to the others p50 ms between and during rounds, p99 the same, ratio; the"
echo "uploaders' own lines the same; rounds done, slowest round s, RSS growth MiB, MB/s a round;"
echo "outcome, lost:"
column -t -s $'\t' "$tmp/runs.tsv"
echo "reports: $OUT" >&2
