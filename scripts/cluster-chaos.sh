#!/usr/bin/env bash
# The long partition run (docs/SCALING.md, "Tested"): three nodes on network namespaces,
# CHAOS_CLIENTS clients chatting (default 60) while CHAOS_FAULTS random faults (default 100:
# partitions of 1-30 s either way from Redis, PostgreSQL or both, nodes killed with kill -9 for
# 1-10 s, Redis and PostgreSQL killed and restarted) happen over CHAOS_SECONDS (default 600).
# Afterwards every client's history is checked (nothing acknowledged lost, duplicated or
# reordered; nothing delivered that was not said; every request answered within 2 s) and the
# time the nodes' views took to agree after each heal is reported.
#
#   sudo scripts/cluster-chaos.sh                      # ten minutes
#   CHAOS_SECONDS=120 CHAOS_FAULTS=20 scripts/cluster-chaos.sh
#   CHAOS_SEED=1234 scripts/cluster-chaos.sh           # the same faults again
#
# Needs root (network namespaces), iproute2, redis-server and PostgreSQL (as .ci/run installs).
# Builds the test binary in release mode (the nodes it starts are release builds too).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "run as root: network namespaces need it" >&2; exit 2; }
export CHAT_REAL_CLIENTS=1
exec cargo test --release -p chat-server --test server -- --ignored --nocapture --test-threads 1 \
  partition::random_faults_between_many_clients_lose_nothing
