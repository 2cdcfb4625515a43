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

# A free TCP port on the loopback.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command as the `postgres` user when root (PostgreSQL refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts a throwaway PostgreSQL from $PG_BIN in directory $1 (extra server settings $2…) on a
# free loopback port; sets $accounts to its URL. Stop it with stop_postgres $1.
start_postgres() {
  local dir=$1 port
  shift
  port=$(free_port)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir" && chmod 755 "$(dirname "$dir")"
  as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres --no-sync >/dev/null
  local settings="-p $port -k $dir -c listen_addresses=127.0.0.1"
  for s in "$@"; do settings+=" -c $s"; done
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/data/log" -w -o "$settings" start >/dev/null
  accounts=postgres://postgres@127.0.0.1:$port/postgres
}

stop_postgres() {
  as_pg "$PG_BIN/pg_ctl" -D "$1/data" -m fast stop >/dev/null 2>&1 || true
}

# Starts a throwaway redis-server (no persistence) on a free loopback port, its log in $1; sets
# $redis (its PID) and $redis_port once it answers.
start_redis_server() {
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$1" 2>&1 &
  redis=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && return
    sleep 0.05
  done
  echo "redis-server did not start" >&2
  return 1
}
