#!/usr/bin/env bash
# Screenshots of the real desktop client, for the README: runs a real chat-server and several
# chat-gui processes under Xvfb, lets a scripted user (CHAT_GUI_AUTOPILOT, honoured by debug
# builds only) click through the windows, and captures the client's window into
# assets/screenshots/: connect, register, login, main-dark, main-light, users, private, emoji,
# delete, history, find, kept; the main window at 800x600 and 1920x1080 in every language and
# both themes (sizes/WIDTHxHEIGHT-LANG-THEME.png), a conversation docked beside the room; and what
# people do to lines (actions-*.png: a reply, reactions, an edit, a deletion, a member muted by
# the room's creator, the ticks of a private message), at 1280x800 and 640x480.
#
# `scripts/screenshots.sh actions` makes only the pictures of actions.
#
# Needs (Debian/Ubuntu): apt-get install -y xvfb xauth libxcursor1 libxi6 libxkbcommon-x11-0 \
#   libegl1 libgl1-mesa-dri libglx-mesa0 x11-utils xdotool imagemagick
# KEEP_LOGS=DIR keeps the server's and clients' logs there.
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/screenshots
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

# ImageMagick 7 calls it `magick import`; Debian's 6 installs `import-im6.q16` too.
if command -v magick >/dev/null; then import=(magick import); else import=("$(command -v import-im6.q16 || command -v import)"); fi

free_display() {
    local n
    for n in $(seq 90 140); do
        [[ -e /tmp/.X$n-lock || -e /tmp/.X11-unix/X$n ]] || { echo ":$n"; return; }
    done
    echo "no free X display" >&2
    exit 1
}

start_xvfb() {
    local display=$1 screen=${2:-1024x700}
    Xvfb "$display" -screen 0 "${screen}x24" -nolisten tcp >"$work/xvfb${display#:}.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && return; sleep 0.1; done
    echo "Xvfb $display did not start" >&2
    exit 1
}

only=${1:-all}

# at SECONDS: waits until that many seconds after t0 (set when a scene's first client starts).
at() { while ((SECONDS - t0 < $1)); do sleep 0.2; done; }

# Every client has a display of its own, so no window covers another.
shots=$(free_display); start_xvfb "$shots"
bobs=$(free_display); start_xvfb "$bobs"
carols=$(free_display); start_xvfb "$carols"
dans=$(free_display); start_xvfb "$dans"

"$server" --bind 127.0.0.1:0 --data-dir "$work/server" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
addr=$(grep -o "listening on [^ ]*" "$work/server.log" | head -1 | cut -d' ' -f3)
[[ -n "$addr" ]] || { cat "$work/server.log"; echo "the server did not start" >&2; exit 1; }
echo "server at $addr"

pw="correct-horse-battery"

# client NAME DISPLAY SCRIPT: a client process with settings of its own, English interface.
client() {
    local name=$1 display=$2 script=$3
    mkdir -p "$work/home-$name"
    HOME="$work/home-$name" XDG_DATA_HOME="$work/home-$name/data" XDG_CONFIG_HOME="$work/home-$name/config" \
        LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 LIBGL_ALWAYS_SOFTWARE=1 DISPLAY="$display" \
        RUST_LOG=warn CHAT_GUI_AUTOPILOT="address=$addr;$script" \
        "$gui" >"$work/$name.log" 2>&1 &
    last_pid=$!
    # Opening the X display now and then fails under load; try again.
    sleep 1
    if ! kill -0 "$last_pid" 2>/dev/null && grep -q XOpenDisplayFailed "$work/$name.log"; then
        client "$@"
        return
    fi
    pids+=("$last_pid")
}

# shoot NAME PID [DISPLAY]: captures the main window of process PID.
shoot() {
    local name=$1 pid=$2 display=${3:-$shots} wid
    if ! kill -0 "$pid" 2>/dev/null; then echo "the client for $name is not running" >&2; exit 1; fi
    wid=$(DISPLAY=$display timeout 30 xdotool search --sync --onlyvisible --pid "$pid" --name '^(\([0-9]+\) )?Chat$' | head -1)
    # The pointer rests on the empty part of the left column, hovering nothing.
    DISPLAY=$display xdotool mousemove 100 450
    sleep 0.5
    mkdir -p "$(dirname "$out/$name.png")"
    DISPLAY=$display "${import[@]}" -window "$wid" -strip -define png:compression-level=9 "$out/$name.png"
    echo "wrote $out/$name.png"
}

# shoot_window NAME TITLE: captures the window called TITLE (a conversation's own window).
shoot_window() {
    local name=$1 title=$2 wid
    wid=$(DISPLAY=$shots timeout 30 xdotool search --sync --onlyvisible --name "^$title\$" | head -1)
    sleep 0.5
    DISPLAY=$shots "${import[@]}" -window "$wid" -strip -define png:compression-level=9 "$out/$name.png"
    echo "wrote $out/$name.png"
}

stop() { kill "$1" 2>/dev/null || true; }

register() { # LOGIN FIRST LAST AGE
    echo "connect;register-form;fill-register=$1,$2,$3,$4,$pw,$pw;register;fill-login=$1"
}

if [[ $only == all ]]; then
# 1. The connect window.
client connect "$shots" "wait=100"
sleep 4; shoot connect "$last_pid"; stop "$last_pid"

# 2. The register window, with the checks that run as you type (an age too low, a typo).
client alice-register "$shots" "connect;register-form;fill-register=alice,Alicia,Núñez,9,$pw,${pw}x"
sleep 5; shoot register "$last_pid"; stop "$last_pid"

# 3. Accounts for everyone, then the login window with the login filled in after registering.
first=${#pids[@]}
client bob-register "$bobs" "$(register bob Roberto Gómez 34)"
client carol-register "$carols" "$(register carol Carolina Restrepo 27)"
client dan-register "$dans" "$(register dan Daniel Osorio 31)"
client alice-login "$shots" "$(register alice Alicia Núñez 29);keep-signed-in;wait=300"
sleep 7; shoot login "$last_pid"
for pid in "${pids[@]:$first}"; do stop "$pid"; done
sleep 1

# 4. The main window: three people talking in the lobby, then a private conversation, the emoji
# picker, the question before deleting a room, and the light theme.
long="Notes for Friday: chapter three covers clock synchronisation (Cristian's algorithm and NTP), then we compare both on the course server and write up what we measured."
client alice "$shots" "connect;fill-login=alice,$pw;login;wait=5000;say=Hi both! Shall we meet in the project room later? 🙂;wait=9000;users;wait=6000;close-users;wait=1500;private=bob,Sure, see you at 4.;wait=6000;close-private=bob;type=Good idea :tada: see you all at 4 ;emoji-picker;wait=6000;escape;type=;say=#cR repaso;wait=1500;ask-delete=repaso;wait=6000;escape;say=#eR;theme=light"
alice=$last_pid
t0=$SECONDS
client bob "$bobs" "connect;fill-login=bob,$pw;login;wait=2500;say=Hola a todos 👋;say=is the server on your laptop?;wait=5000;say=Works great from here 👍 ✓;wait=7000;private=alice,Can you send me the slides before the meeting? 📚;wait=15000;private=dan,Welcome to the course chat! The notes from Monday are in the shared folder 📁"
client carol "$carols" "connect;fill-login=carol,$pw;login;wait=1000;say=#cR proyecto;wait=800;say=#eR;wait=1500;say=Yes, hosted right here → clock synced too.;wait=1500;say=$long;wait=25000;away=at the library"
at 11; shoot main-dark "$alice"
at 19; shoot users "$alice"
at 26; shoot_window private "Private: bob"
at 32; shoot emoji "$alice"
at 40; shoot delete "$alice"
at 47; shoot main-light "$alice"
stop "$alice"

# 5. Someone who arrives after the discussion: the room's earlier lines above their divider,
# carol away (an amber dot), a private message kept for him while he was offline (unread),
# then finding "clock" in the room, then that private message.
client dan "$shots" "connect;fill-login=dan,$pw;login;wait=9000;find=clock;wait=6000;escape;open-private=bob"
dan=$last_pid
t0=$SECONDS
at 7; shoot history "$dan"
at 12; shoot find "$dan"
at 21; shoot kept "$dan"
stop "$dan"

# 6. Sizes, languages and themes: the main window at half a laptop screen and on a large
# monitor, with a conversation docked beside the room where it fits.
big=$(free_display); start_xvfb "$big" 1920x1080
combos=()
for language in en es pt-BR; do for theme in dark light; do combos+=("$language-$theme"); done; done
script="connect;fill-login=alice,$pw;login;dock=on;wait=3000;say=#help;wait=500;open-private=bob;wait=4000"
for combo in "${combos[@]}"; do script+=";language=${combo%%-*};theme=${combo##*-};wait=5000"; done
for size in 800x600 1920x1080; do
    client "erin-$size" "$big" "$script"
    erin=$last_pid
    wid=$(DISPLAY=$big timeout 30 xdotool search --sync --onlyvisible --pid "$erin" --name 'Chat' | head -1)
    DISPLAY=$big xdotool windowmove "$wid" 0 0 windowsize "$wid" "${size%x*}" "${size#*x}"
    t0=$SECONDS
    i=0
    for combo in "${combos[@]}"; do
        at $((10 + 5 * i)); shoot "sizes/$size-$combo" "$erin" "$big"
        i=$((i + 1))
    done
    stop "$erin"
done
fi

# 7. What people do to lines, in a class's room: a question answered with its quote, reactions
# with counts, a line corrected (edited) and one taken back (deleted), Markdown, a member muted
# by the room's creator; and the ticks of private messages. At 1280x800 and 640x480.
first=${#pids[@]}
client maria-register "$bobs" "$(register maria María Souza 41)"
client joao-register "$carols" "$(register joao João Lima 22)"
client lin-register "$dans" "$(register lin Lin Wei 23)"
sleep 9
for pid in "${pids[@]:$first}"; do stop "$pid"; done
sleep 1
wide=$(free_display); start_xvfb "$wide" 1280x800
client maria "$wide" "connect;fill-login=maria,$pw;login;wait=1500;say=#cR aula;wait=3000;say=The exam on **Friday** covers chapters 3 and 4 (clocks and \`NTP\`).;wait=4500;react=Does it include,👍;say=Room 204 at 9:00;wait=1000;edit=Room 204 at 9:00,Room 204 at 10:00 — not 9:00;wait=5000;mute=lin;wait=1000;dock=on;private=joao,Yes, bring the exercise sheet.;wait=20000"
maria=$last_pid
wid=$(DISPLAY=$wide timeout 30 xdotool search --sync --onlyvisible --pid "$maria" --name 'Chat' | head -1)
DISPLAY=$wide xdotool windowmove "$wid" 0 0 windowsize "$wid" 1280 800
client joao "$carols" "connect;fill-login=joao,$pw;login;wait=2500;say=#gR aula;wait=3000;reply=The exam,Does it include the NTP exercise?;wait=1500;react=The exam,👍;wait=1500;dock=on;private=maria,Thanks! See you on Friday 🙂;wait=25000"
joao=$last_pid
client lin "$dans" "connect;fill-login=lin,$pw;login;wait=2500;say=#gR aula;wait=3500;react=The exam,👍;react=The exam,🎉;say=lol who ate my sandwich;wait=800;delete=lol who;wait=2500;say=buy cheap essays at example.com!!!;wait=25000"
lin=$last_pid
t0=$SECONDS
at 20; DISPLAY=$wide xdotool mousemove 600 200; sleep 0.3
at 21; "${import[@]}" -display "$wide" -window "$wid" -strip -define png:compression-level=9 "$out/actions-1280x800.png"; echo "wrote $out/actions-1280x800.png"
DISPLAY=$wide xdotool windowsize "$wid" 640 480
at 24; shoot actions-640x480 "$maria" "$wide"
at 26; shoot actions-private "$joao" "$carols"
stop "$maria"; stop "$joao"; stop "$lin"
ls -l "$out" "$out/sizes"
