#!/usr/bin/env bash
# Screenshots of files in the real desktop client: a real chat-server (temporary data directory)
# and three chat-gui processes under Xvfb. Alice sends a screenshot, the PDF of an assignment and a
# Rust file; Bob sees the picture's preview, the PDF's card and the code as code, then opens the
# picture in the viewer. Written to assets/screenshots/files/ at 1280x800 (Bob) and 640x480
# (Carol), plus the sender's side and the viewer. Scripted with CHAT_GUI_AUTOPILOT (debug builds).
#
# Needs what scripts/screenshots.sh needs (Xvfb, xdotool, ImageMagick's import).
# KEEP_LOGS=DIR keeps the server's and clients' logs there.
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/screenshots/files
mkdir -p "$out"
target=${CARGO_TARGET_DIR:-target}

cargo build -p chat-gui -p chat-server
gui="$target/debug/chat-gui"
server="$target/debug/chat-server"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [[ -n "${KEEP_LOGS:-}" ]]; then rm -rf "$KEEP_LOGS"; cp -r "$work" "$KEEP_LOGS"; fi
    rm -rf "$work"
}
trap cleanup EXIT

if command -v magick >/dev/null; then import=(magick import); else import=("$(command -v import-im6.q16 || command -v import)"); fi

free_display() {
    local n
    for n in $(seq 150 199); do
        [[ -e /tmp/.X$n-lock || -e /tmp/.X11-unix/X$n ]] || { echo ":$n"; return; }
    done
    echo "no free X display" >&2
    exit 1
}

start_xvfb() {
    local display=$1 screen=$2
    Xvfb "$display" -screen 0 "${screen}x24" -nolisten tcp >"$work/xvfb${display#:}.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && return; sleep 0.1; done
    echo "Xvfb $display did not start" >&2
    exit 1
}

"$server" --bind 127.0.0.1:0 --data-dir "$work/server" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
addr=$(grep -o "listening on [^ ]*" "$work/server.log" | head -1 | cut -d' ' -f3)
[[ -n "$addr" ]] || { cat "$work/server.log"; echo "the server did not start" >&2; exit 1; }
echo "server at $addr"
pw="correct-horse-battery"

# What Alice sends: a screenshot of the program, an assignment's PDF, a Rust file.
files="$work/files"
mkdir -p "$files"
cp assets/screenshots/find.png "$files/error-screenshot.png"
cat >"$files/main.rs" <<'RUST'
use std::collections::HashMap;

/// Counts how often each word appears in the text.
fn count_words(text: &str) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word).or_insert(0) += 1;
    }
    counts
}

fn main() {
    let text = std::fs::read_to_string("notes.txt").expect("notes.txt");
    let counts = count_words(&text);
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1));
    for (word, n) in sorted.iter().take(10) {
        println!("{word:>12} {n}");
    }
}
RUST
# A one-page PDF, written by hand (objects, then their offsets).
python3 - "$files/Assignment 3 - Clock synchronisation.pdf" <<'PY'
import sys
text = b"BT /F1 18 Tf 72 720 Td (Assignment 3: clock synchronisation) Tj ET"
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
out = bytearray(b"%PDF-1.4\n")
offsets = []
for i, o in enumerate(objs, 1):
    offsets.append(len(out))
    out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for off in offsets:
    out += b"%010d 00000 n \n" % off
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
PY

# client NAME DISPLAY SCRIPT
client() {
    local name=$1 display=$2 script=$3
    mkdir -p "$work/home-$name"
    HOME="$work/home-$name" XDG_DATA_HOME="$work/home-$name/data" XDG_CONFIG_HOME="$work/home-$name/config" \
        XDG_CACHE_HOME="$work/home-$name/cache" XDG_DOWNLOAD_DIR="$work/home-$name/downloads" \
        LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 LIBGL_ALWAYS_SOFTWARE=1 DISPLAY="$display" \
        RUST_LOG=warn CHAT_GUI_AUTOPILOT="address=$addr;$script" \
        "$gui" >"$work/$name.log" 2>&1 &
    last_pid=$!
    sleep 1
    if ! kill -0 "$last_pid" 2>/dev/null && grep -q XOpenDisplayFailed "$work/$name.log"; then
        client "$@"
        return
    fi
    pids+=("$last_pid")
}

# fill PID DISPLAY SIZE: the window of PID fills the screen.
fill() {
    local pid=$1 display=$2 size=$3 wid
    wid=$(DISPLAY=$display timeout 30 xdotool search --sync --onlyvisible --pid "$pid" --name 'Chat' | head -1)
    DISPLAY=$display xdotool windowmove "$wid" 0 0 windowsize "$wid" "${size%x*}" "${size#*x}"
}

# shoot NAME PID DISPLAY
shoot() {
    local name=$1 pid=$2 display=$3 wid
    if ! kill -0 "$pid" 2>/dev/null; then echo "the client for $name is not running" >&2; exit 1; fi
    wid=$(DISPLAY=$display timeout 30 xdotool search --sync --onlyvisible --pid "$pid" --name '^(\([0-9]+\) )?Chat$' | head -1)
    DISPLAY=$display xdotool mousemove 5 300
    sleep 0.5
    DISPLAY=$display "${import[@]}" -window "$wid" -strip -define png:compression-level=9 "$out/$name.png"
    echo "wrote $out/$name.png"
}

register() { # LOGIN FIRST LAST AGE
    # Registering logs in: the main window follows.
    echo "connect;register-form;fill-register=$1,$2,$3,$4,$pw,$pw;register"
}

big=$(free_display); start_xvfb "$big" 1280x800
small=$(free_display); start_xvfb "$small" 640x480
sender=$(free_display); start_xvfb "$sender" 1280x800

# Bob at 1280x800 and Carol at 640x480 see what Alice sends.
client carol "$small" "$(register carol Carolina Restrepo 27);wait=60000"
carol=$last_pid
fill "$carol" "$small" 640x480
client bob "$big" "$(register bob Roberto Gómez 34);wait=30000;view-picture;wait=8000;escape"
bob=$last_pid
fill "$bob" "$big" 1280x800
sleep 6
client alice "$sender" "$(register alice Alicia Núñez 29);wait=2000;say=Hi Bob, this is what I get when I search;attach=$files/error-screenshot.png;send;wait=3000;attach=$files/Assignment 3 - Clock synchronisation.pdf;attach=$files/main.rs;type=Here are the assignment and my code: it prints nothing;send;wait=4000;attach=$files/main.rs;type=the same file again, still uploading"
alice=$last_pid
fill "$alice" "$sender" 1280x800
t0=$SECONDS
at() { while ((SECONDS - t0 < $1)); do sleep 0.2; done; }
at 16; shoot 1280x800 "$bob" "$big"
shoot sender-1280x800 "$alice" "$sender"
at 26; shoot 640x480 "$carol" "$small"
at 34; shoot viewer-1280x800 "$bob" "$big"
ls -l "$out"
