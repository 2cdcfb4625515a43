#!/usr/bin/env bash
# Windows, built and run on Linux: cross-compiles chat-gui.exe and chat-server.exe for
# x86_64-pc-windows-gnu (release, as shipped), checks what Windows reads from them (the GUI
# subsystem of the client, the icon, FileVersion and ProductVersion, the DLLs they need), then
# runs both under Wine in Xvfb:
#
#   1. chat-server.exe starts (TLS, its data in the Wine user's AppData) and answers the Linux
#      `chat-server probe`; chat-server.exe's own probe reaches a Linux server.
#   2. chat-gui.exe, driven with xdotool like a person (click, type), connects to the Windows
#      server, creates an account, logs in and says a line; a Linux client in the same room
#      (scripts/room-witness.py) sees that line and answers.
#   3. The same client then connects to the Linux server and does the same there.
#   Screenshots of each step go to target/windows-shots/ (or $SHOTS).
#
#   scripts/windows.sh           # all of it (KEEP_LOGS=DIR keeps the servers' and Wine's logs)
#   scripts/windows.sh --build   # only the .exe files, zipped in dist/ (the release workflow)
#
# Needs (Debian/Ubuntu): gcc-mingw-w64-x86-64 (the linker and windres), icoutils (to read the
# resources back), zip; and to run: wine64 (Ubuntu: wine), fonts-wine, xvfb, xauth, x11-utils,
# xdotool, imagemagick, python3-msgpack, libgl1-mesa-dri. Run as root, it installs the missing
# ones with apt-get; otherwise it names them and stops. Adds the Rust target with rustup.
#
# Wine 8 lacks bcryptprimitives.dll, which every Rust program since 1.78 needs to start: a stub
# (scripts/wine/bcryptprimitives.c) is built beside the copies Wine runs, never beside the
# shipped files. Windows 10 and later have the real one.
set -euo pipefail
cd "$(dirname "$0")/.."

triple=x86_64-pc-windows-gnu
target=${CARGO_TARGET_DIR:-target}
out=$target/$triple/release
shots=${SHOTS:-$target/windows-shots}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
VERSION=${VERSION:-$version}
build_only=false
[ "${1:-}" = "--build" ] && build_only=true

start=$SECONDS
step() { echo "== $* ($((SECONDS - start)) s)"; }
fail() {
  echo "windows check FAILED: $*" >&2
  exit 1
}

# ---- what it needs ----
packages=(gcc-mingw-w64-x86-64 icoutils zip)
$build_only || packages+=(wine64 fonts-wine xvfb xauth x11-utils xdotool imagemagick python3-msgpack
  libgl1-mesa-dri)
if ! $build_only && ! dpkg -s wine64 >/dev/null 2>&1 && dpkg -s wine >/dev/null 2>&1; then
  packages=("${packages[@]/wine64/wine}") # Ubuntu's name for the 64-bit Wine
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "install them: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  step "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if command -v rustup >/dev/null; then
  rustup target list --installed | grep -qx "$triple" || rustup target add "$triple"
fi

# ---- build ----
step "cargo build --release --target $triple (chat-gui, chat-server)"
build_start=$SECONDS
cargo build --release --locked --target "$triple" -p chat-gui -p chat-server
echo "built in $((SECONDS - build_start)) s"

# ---- what Windows reads from the files ----
step "subsystems, imports, icon and version resources"
objdump=x86_64-w64-mingw32-objdump
subsystem() { "$objdump" -p "$1" | sed -n 's/^Subsystem[[:space:]]*//p'; }
[[ "$(subsystem "$out/chat-gui.exe")" == *"(Windows GUI)"* ]] ||
  fail "chat-gui.exe is not a GUI program (a console window would open): $(subsystem "$out/chat-gui.exe")"
[[ "$(subsystem "$out/chat-server.exe")" == *"(Windows CUI)"* ]] ||
  fail "chat-server.exe is not a console program: $(subsystem "$out/chat-server.exe")"
for exe in chat-gui chat-server; do
  file=$out/$exe.exe
  # Only DLLs every Windows has: nothing from MinGW (libgcc, libwinpthread) to ship beside it.
  dlls=$("$objdump" -p "$file" | sed -n 's/^[[:space:]]*DLL Name: //p' | sort -u | tr '\n' ' ')
  echo "$exe.exe imports: $dlls"
  for dll in $dlls; do
    case "${dll,,}" in
      libgcc* | libwinpthread* | libstdc++*) fail "$exe.exe needs $dll, which Windows does not have" ;;
    esac
  done
  # Version strings are UTF-16 in the resource: compare them as text.
  wrestool -l "$file" | grep -q -- '--type=14' || fail "$exe.exe has no icon"
  strings=$(wrestool -x --raw --type=16 "$file" | iconv -f UTF-16LE -t UTF-8 2>/dev/null | tr '\0' '\n' | grep -v '^$')
  for key in FileVersion ProductVersion; do
    value=$(grep -A1 "${key}$" <<<"$strings" | tail -1)
    [ "$value" = "$version" ] || fail "$exe.exe: $key is '$value', not $version"
  done
  echo "$exe.exe: icon; FileVersion and ProductVersion $version; $(grep -A1 "FileDescription$" <<<"$strings" | tail -1)"
done

if $build_only; then
  step "dist/chat-${VERSION}-x86_64-windows.zip"
  name="chat-${VERSION}-x86_64-windows"
  rm -rf "dist/${name}" "dist/${name}.zip"
  mkdir -p "dist/${name}"
  cp "$out/chat-gui.exe" "$out/chat-server.exe" deploy/chat-server.toml README.md LICENSE "dist/${name}/"
  (cd dist && zip -qr "${name}.zip" "${name}" && sha256sum "${name}.zip" >"${name}.zip.sha256")
  ls -l "dist/${name}.zip"
  exit 0
fi

# ---- run under Wine ----
wine=$(command -v wine64 || command -v wine || echo /usr/lib/wine/wine64)
[ -x "$wine" ] || fail "no Wine found (wine64, wine or /usr/lib/wine/wine64)"
if command -v magick >/dev/null; then import=(magick import); else import=(import); fi
py=python3
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c 'import msgpack' 2>/dev/null; then py=$candidate && break; fi
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -z "${WINEPREFIX:-}" ] || WINEPREFIX=$WINEPREFIX timeout 20 "$(dirname "$wine")/wineserver" -k 2>/dev/null ||
    WINEPREFIX=$WINEPREFIX timeout 20 wineserver -k 2>/dev/null || true
  wait 2>/dev/null || true
  if [[ -n "${KEEP_LOGS:-}" ]]; then
    rm -rf "$KEEP_LOGS" && mkdir -p "$KEEP_LOGS" && cp "$work"/*.log "$work"/*.out "$KEEP_LOGS/" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The command of scripts/release-linux.sh, so that after a release check nothing is rebuilt.
step "the Linux chat-server, release build (the other server, and the probe)"
cargo build --release --locked -p chat-server -p chat-gui
linux_server=$target/release/chat-server

# The copies Wine runs, beside the stub DLL.
run=$work/bin
mkdir -p "$run" "$shots"
cp "$out/chat-gui.exe" "$out/chat-server.exe" "$run/"
x86_64-w64-mingw32-gcc -O2 -shared -o "$run/bcryptprimitives.dll" scripts/wine/bcryptprimitives.c -ladvapi32

free_display() {
  local n
  for n in $(seq 90 140); do
    [[ -e /tmp/.X$n-lock || -e /tmp/.X11-unix/X$n ]] || {
      echo ":$n"
      return
    }
  done
  fail "no free X display"
}
display=$(free_display)
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo -display "$display" >/dev/null 2>&1 || fail "Xvfb did not start"

# A Wine of its own, made with the display set (or its X driver stays off); no Mono or Gecko
# installers; English; logs quiet.
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=$display
export LANG=C.UTF-8
unset LC_ALL LC_MESSAGES
step "Wine prefix"
"$wine" wineboot -i >"$work/wineboot.log" 2>&1 || fail "wineboot: $(tail -5 "$work/wineboot.log")"

step "chat-server.exe --version"
got=$("$wine" "$run/chat-server.exe" --version 2>"$work/version.err" | tr -d '\r') || true
[ "$got" = "chat-server $version" ] || fail "chat-server.exe --version said '$got': $(cat "$work/version.err")"
echo "$got"

# listening OUT PID: the address a server started in the background prints.
listening() {
  local out=$1 pid=$2
  for _ in $(seq 600); do
    if grep -q '^listening on' "$out" 2>/dev/null; then
      sed -n 's/^listening on //p' "$out" | tr -d '\r'
      return
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}

step "chat-server.exe under Wine (TLS)"
"$wine" "$run/chat-server.exe" --bind 127.0.0.1:0 >"$work/wserver.out" 2>"$work/wserver.log" &
pids+=($!)
waddr=$(listening "$work/wserver.out" "${pids[-1]}") || fail "chat-server.exe did not start: $(tail "$work/wserver.log")"
grep '^TLS certificate' "$work/wserver.out" || fail "chat-server.exe runs without TLS"
"$linux_server" probe --addr "$waddr" || fail "the Linux probe got no answer from chat-server.exe"

step "the Linux chat-server, probed by chat-server.exe"
"$linux_server" --bind 127.0.0.1:0 --data-dir "$work/linux-data" >"$work/lserver.out" 2>"$work/lserver.log" &
pids+=($!)
laddr=$(listening "$work/lserver.out" "${pids[-1]}") || fail "the Linux server did not start"
"$wine" "$run/chat-server.exe" probe --addr "$laddr" 2>&1 | tr -d '\r' ||
  fail "chat-server.exe's probe got no answer from the Linux server"

# ---- the client, driven like a person ----
# The client runs in a Wine desktop of the screen's size, where Wine places it at the top left
# with a title bar of its own. Points below are in the client area's coordinates (1024x700, the
# default window size), measured from the screenshots.
address=(512 156)         # connect window: the server address field
create_account=(330 336)  # login window: the "Create an account" link
first_names=(544 108)     # register window: the first field

click() { # X Y: a click at a point of the client area
  xdotool mousemove "$((origin_x + $1))" "$((origin_y + $2))" click 1
  sleep 0.7
}
# ASCII only: xdotool types other characters (í, é) by remapping a spare key, and Wine now and
# then reads the key before the new map, so the character is lost.
type_text() {
  xdotool type --delay 60 -- "$1"
  sleep 0.4
}
key() {
  xdotool key "$@"
  sleep 0.5
}
# NAME: the client area, which is all a Windows user sees of it besides the title bar (the frame
# here is Wine's, not that of Windows 10 or 11).
shoot() {
  xdotool mousemove "$((origin_x + 1000))" "$((origin_y + 660))"
  sleep 1
  "${import[@]}" -window "$client" -strip -define png:compression-level=9 "$shots/$1.png"
  echo "wrote $shots/$1.png"
}
# wait_log FILE PATTERN WHAT: waits up to 90 s for PATTERN in the lines a server logged since
# mark_log.
mark_log() { log_mark=$(wc -l <"$1"); }
wait_log() {
  local _
  for _ in $(seq 900); do
    tail -n "+$((log_mark + 1))" "$1" | grep -q -- "$2" && return
    sleep 0.1
  done
  shoot "failed"
  fail "$3 (screenshot: $shots/failed.png)"
}

pw=windows-pass-123
# chat_on TAG ADDR LOG: connects the client to ADDR, creates the account "ana", logs in and says
# a line; a witness already in the room (the Linux client scripts/room-witness.py, as "carol")
# must see it, and answers. The server's LOG says when each step is done.
chat_on() {
  local tag=$1 addr=$2 log=$3 witness_pid
  "$py" scripts/room-witness.py "$addr" carol "$pw" --expect-from ana --expect-text "Hello from Windows!" \
    --say "Hi! Is anyone here on Windows?" --reply "Yes, I see you, ana. Welcome!" --linger 10 \
    --timeout 240 >"$work/witness-$tag.out" 2>&1 &
  witness_pid=$!
  for _ in $(seq 300); do grep -qs '^ready' "$work/witness-$tag.out" && break; sleep 0.1; done
  grep -q '^ready' "$work/witness-$tag.out" || fail "the witness did not log in: $(cat "$work/witness-$tag.out")"

  # The connect window: the address, then Enter.
  click "${address[@]}"
  key ctrl+a
  type_text "$addr"
  shoot "$tag-1-connect"
  mark_log "$log"
  key Return
  wait_log "$log" "connected peer=" "chat-gui.exe did not connect to $addr"
  sleep 2
  # The login window: "Create an account".
  click "${create_account[@]}"
  # The register window: every field in turn, Tab between them, Enter submits.
  click "${first_names[@]}"
  type_text "Ana Maria"
  key Tab; type_text "Perez"
  key Tab; type_text "ana"
  key Tab; type_text "$pw"
  key Tab; type_text "$pw"
  key Tab; type_text "27"
  shoot "$tag-2-register"
  mark_log "$log"
  key Return
  wait_log "$log" 'registered.*login="ana"' "the account was not created on $addr"
  sleep 2
  # The login window, the login filled in and the keyboard in the password field.
  type_text "$pw"
  mark_log "$log"
  key Return
  wait_log "$log" 'logged in.*login="ana"' "ana did not log in on $addr"
  sleep 3
  # The keyboard is in the message box.
  type_text "Hello from Windows!"
  key Return
  for _ in $(seq 300); do grep -qs '^replied' "$work/witness-$tag.out" && break; sleep 0.1; done
  grep -q '^replied' "$work/witness-$tag.out" || fail "the Linux client did not see the line on $addr: $(cat "$work/witness-$tag.out")"
  sleep 2
  shoot "$tag-3-chat"
  wait "$witness_pid" || fail "the witness on $addr: $(cat "$work/witness-$tag.out")"
  sed 's/^/  witness: /' "$work/witness-$tag.out"
  # Leave, back to the connect window.
  type_text "#exit"
  key Return
  sleep 2
}

step "chat-gui.exe under Wine"
"$wine" explorer /desktop=chat,1280x800 "$run/chat-gui.exe" >"$work/gui.out" 2>"$work/gui.log" &
pids+=($!)
# Wine makes and drops short-lived windows meanwhile: a search that meets one errs; search again.
frame=
for _ in $(seq 240); do
  frame=$(xdotool search --name '^Chat$' 2>/dev/null | head -1) && [ -n "$frame" ] && break
  sleep 0.5
done
[ -n "$frame" ] || fail "no chat-gui window: $(tail "$work/gui.log")"
sleep 3
# The client area is the frame's only child.
client=$(xwininfo -id "$frame" -children | sed -n 's/^[[:space:]]*\(0x[0-9a-f]*\) .*/\1/p' | head -1)
origin_x=$(xwininfo -id "$client" | sed -n 's/.*Absolute upper-left X:[[:space:]]*//p')
origin_y=$(xwininfo -id "$client" | sed -n 's/.*Absolute upper-left Y:[[:space:]]*//p')
[ -n "$origin_x" ] && [ -n "$origin_y" ] || fail "cannot find the client area of the window"
echo "client area at $origin_x,$origin_y"
step "the client on the Windows server ($waddr)"
chat_on windows "$waddr" "$work/wserver.log"
step "the client on the Linux server ($laddr)"
chat_on linux "$laddr" "$work/lserver.log"

step "done: chat-gui.exe and chat-server.exe work under Wine; screenshots in $shots"
ls -l "$shots"
