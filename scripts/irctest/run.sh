#!/usr/bin/env bash
# Runs irctest's whole server suite (every module of irctest/server_tests, implementation-specific
# and deprecated tests deselected) against chat-server's IRC gateway with the controller beside
# this script, prints passed / failed / skipped per module, and fails if a test listed in
# expected-passes.txt did not pass: a regression shows. Tests that newly pass are named, to be
# added to the list.
#
#   scripts/irctest/run.sh [path/to/chat-server]      (default: target/debug/chat-server)
#
# irctest is taken from its repository at the commit pinned below (PyPI has no usable release):
# from IRCTEST_DIR when set, else from a checkout cached in
# ${XDG_CACHE_HOME:-$HOME/.cache}/chat-irctest/<commit>, cloned there once. Where there is neither
# and the repository cannot be reached, the run says NOT RUN and exits 0, or 1 when
# IRCTEST_REQUIRED=1. Its Python packages (requirements.txt) go in a virtual environment beside
# the checkout. The JUnit report is left in IRCTEST_REPORT (default: target/irctest.xml).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
commit=b00c039766f5c497920dd787f7cb0e0005bd5ce0
url=https://github.com/progval/irctest
binary="$(realpath "${1:-$repo/target/debug/chat-server}")"
report="$(realpath -m "${IRCTEST_REPORT:-$repo/target/irctest.xml}")"

not_run() {
  echo "irctest NOT RUN: $1" >&2
  if [ "${IRCTEST_REQUIRED:-0}" = 1 ]; then exit 1; fi
  exit 0
}

[ -x "$binary" ] || not_run "no chat-server binary at $binary (cargo build -p chat-server)"

if [ -n "${IRCTEST_DIR:-}" ]; then
  checkout="$(realpath "$IRCTEST_DIR")"
else
  checkout="${XDG_CACHE_HOME:-$HOME/.cache}/chat-irctest/$commit"
  if [ ! -f "$checkout/conftest.py" ]; then
    tmp="$checkout.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$(dirname "$checkout")"
    if ! timeout 120 git clone --quiet "$url" "$tmp" 2>/dev/null ||
      ! git -C "$tmp" -c advice.detachedHead=false checkout --quiet "$commit"; then
      rm -rf "$tmp"
      not_run "no irctest checkout (IRCTEST_DIR, or $checkout) and $url cannot be cloned"
    fi
    mv "$tmp" "$checkout"
  fi
fi
[ -f "$checkout/conftest.py" ] || not_run "$checkout is not an irctest checkout"

venv="$checkout.venv"
if ! "$venv/bin/python" -c 'import pytest, msgpack, filelock' 2>/dev/null; then
  python3 -m venv "$venv" || not_run "python3 -m venv failed (Debian: python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

mkdir -p "$(dirname "$report")"
cd "$checkout"
set +e
CHAT_SERVER_BIN="$binary" PYTHONPATH="$here:$checkout" "$venv/bin/pytest" \
  --controller chat_server -p chat_server -p no:cacheprovider \
  -m 'not implementation-specific and not deprecated' \
  --junitxml="$report" -q -o junit_logging=no irctest/server_tests/ >"$report.log" 2>&1
status=$?
set -e
# pytest exits 1 when a test fails: expected here (docs/IRC.md says why each fails). Anything
# else (2: interrupted, 3: internal error, 4: usage, 5: nothing collected) is a broken run.
if [ "$status" -gt 1 ]; then
  echo "irctest did not run properly (pytest exit $status); see $report.log" >&2
  exit 1
fi
"$venv/bin/python" "$here/results.py" "$report" --check "$here/expected-passes.txt"
