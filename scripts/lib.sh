# What the benchmark scripts share; sourced, not run.

# Waits until a chat-server started in the background with PID $2 has printed
# "listening on ADDR" in $1, and prints ADDR. Fails with the server's log $3 if it died or took
# over 10 s.
listening_address() {
  local out=$1 pid=$2 log=$3
  for _ in $(seq 200); do
    if grep -q '^listening on' "$out" 2>/dev/null; then
      sed -n 's/^listening on //p' "$out"
      return
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "the server did not start:" >&2
  cat "$log" >&2
  return 1
}
