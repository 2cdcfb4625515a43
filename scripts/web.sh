#!/usr/bin/env bash
# Builds the web client's bundle: the client compiled to WebAssembly, its JavaScript glue and
# the page, in one directory the server serves (`chat-server --web-dir DIR`).
#
#   scripts/web.sh [OUT_DIR]     (default: target/web-client)
#
# Needs the `wasm32-unknown-unknown` target (added here with rustup if missing) and the
# `wasm-bindgen` command of the same version as the `wasm-bindgen` crate in Cargo.lock
# (installed here with `cargo install` if missing or different: a mismatch fails at load time).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/web-client}
# Not target/web: cargo keeps the web profile's build there.

rustup target list --installed | grep -qx wasm32-unknown-unknown ||
  rustup target add wasm32-unknown-unknown

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  echo "installing wasm-bindgen-cli $want (found: ${have:-none})"
  cargo install wasm-bindgen-cli --version "$want"
fi

echo "== building the client for the browser (profile web: optimised for size)"
cargo rustc --locked -p chat-gui --lib --profile web --target wasm32-unknown-unknown \
  --crate-type cdylib
wasm=target/wasm32-unknown-unknown/web/chat_gui.wasm

rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name chat "$wasm"

# The page: a canvas the client draws on, a line that says what happens until it does, and, out
# of sight, for screen readers, the window shown and the lines said, as text
# (chat-gui/src/web/said.rs).
cat > "$out/index.html" <<'HTML'
<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat</title>
<style>
  html, body { margin: 0; height: 100%; overflow: hidden; background: #1b1b1b; }
  #chat { position: absolute; inset: 0; width: 100%; height: 100%; }
  #loading { position: absolute; top: 45%; width: 100%; text-align: center;
             font: 16px sans-serif; color: #ccc; }
  #said, #window { position: absolute; width: 1px; height: 1px; overflow: hidden;
          clip-path: inset(50%); white-space: nowrap; }
</style>
</head>
<body>
<canvas id="chat"></canvas>
<p id="loading">Loading the chat…</p>
<div id="window" role="status"></div>
<div id="said" role="log" aria-live="polite" aria-label="Messages"></div>
<script type="module">
  import init from "./chat.js";
  init().catch((e) => {
    document.getElementById("loading").textContent = "The chat could not start: " + e;
  });
</script>
</body>
</html>
HTML

# Their gzip forms, which the server sends to browsers that accept gzip (it compresses nothing
# itself).
gzip -9 -k -n "$out/chat_bg.wasm" "$out/chat.js"

size=$(wc -c < "$out/chat_bg.wasm")
gz=$(wc -c < "$out/chat_bg.wasm.gz")
echo "== bundle in $out: chat_bg.wasm $size bytes ($gz as served gzipped), chat.js, index.html"
echo "Serve it (TLS on by default: the page is at https://<this machine>:7878/):"
echo "  cargo run --release -p chat-server -- --web-dir $out"
