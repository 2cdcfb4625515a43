#!/usr/bin/env bash
# The web client in a real browser: serves the bundle (scripts/web.sh) from a real chat-server
# and opens it in headless Chromium through chromedriver (WebDriver over HTTP), at a desktop size
# and a phone size; checks that the client starts and connects (the server logs the WebSocket's
# hello), and saves a screenshot of each in OUT_DIR. Reports the time from navigation to the
# first screenshot showing the client.
#
#   scripts/web-check.sh [BUNDLE_DIR] [OUT_DIR]     (defaults: target/web-client, target/web-check)
#
# Needs: apt-get install -y chromium chromium-driver curl python3 (Chromium runs as root with
# --no-sandbox; WebGL2 works headless without flags).
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:-target/web-client}
out=${2:-target/web-check}
target=${CARGO_TARGET_DIR:-target}
[ -f "$bundle/index.html" ] || { echo "no bundle in $bundle: run scripts/web.sh first" >&2; exit 1; }
mkdir -p "$out"

cargo build --locked -p chat-server
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A plain server on a free port (the page is then http:, its WebSocket ws:).
RUST_LOG=chat_server=debug "$target/debug/chat-server" --no-tls --bind 127.0.0.1:0 \
  --data-dir "$work/data" --web-dir "$bundle" >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
for _ in $(seq 100); do
  grep -q "^listening on" "$work/server.out" 2>/dev/null && break
  sleep 0.1
done
addr=$(sed -n 's/^listening on //p' "$work/server.out" | head -n1)
[ -n "$addr" ] || { cat "$work/server.err" >&2; echo "the server did not start" >&2; exit 1; }
url="http://$addr/"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
chromedriver --port="$port" >"$work/chromedriver.log" 2>&1 &
pids+=($!)
wd="http://127.0.0.1:$port"
for _ in $(seq 100); do
  curl -sf "$wd/status" >/dev/null 2>&1 && break
  sleep 0.1
done

# One browser session at WIDTHxHEIGHT: open the page, wait for the client to draw, screenshot.
shoot() {
  local size=$1 name=$2 session start shot ms
  session=$(curl -sf -X POST "$wd/session" -H 'Content-Type: application/json' -d "{
    \"capabilities\": {\"alwaysMatch\": {\"goog:chromeOptions\": {\"args\": [
      \"--headless=new\", \"--no-sandbox\", \"--window-size=${size/x/,}\",
      \"--hide-scrollbars\", \"--lang=en-US\"]}}}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["value"]["sessionId"])')
  start=$(date +%s%N)
  curl -sf -X POST "$wd/session/$session/url" -H 'Content-Type: application/json' \
    -d "{\"url\": \"$url\"}" >/dev/null
  # The loader's line goes when the client has started on the canvas.
  for _ in $(seq 300); do
    shot=$(curl -sf -X POST "$wd/session/$session/execute/sync" -H 'Content-Type: application/json' \
      -d '{"script": "return document.getElementById(\"loading\") === null", "args": []}' |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])')
    [ "$shot" = True ] && break
    sleep 0.1
  done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  # The first frames connect (hello, clock) and draw the login window.
  sleep 2
  curl -sf "$wd/session/$session/screenshot" |
    python3 -c 'import base64,json,sys; sys.stdout.buffer.write(base64.b64decode(json.load(sys.stdin)["value"]))' \
      >"$out/$name.png"
  curl -sf -X DELETE "$wd/session/$session" >/dev/null
  echo "$size: client started ${ms} ms after navigation; $out/$name.png"
}

shoot 1280x800 web-1280x800
shoot 390x844 web-390x844

# The page opened the WebSocket and said hello as the web client.
if ! grep -q "WebSocket opened" "$work/server.err" || ! grep -q 'hello.*chat-gui' "$work/server.err"; then
  echo "the server saw no hello from the web client:" >&2
  cat "$work/server.err" >&2
  exit 1
fi
echo "web check passed"
