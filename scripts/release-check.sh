#!/usr/bin/env bash
# Runs the Linux release as the release workflow does (scripts/release-linux.sh: release builds,
# tarball, Debian packages), then uses what it made as a user would: runs the tarball's binaries,
# installs both .deb files with dpkg -i, checks that the programs run and that the server's
# configuration, systemd unit, user and desktop entry are in place, serves and probes with the
# installed server, then purges both packages and checks they are gone. .ci/run runs it on every
# change, so a release cannot break unseen.
#
#   scripts/release-check.sh
#
# Installing needs root (or sudo). It refuses to run where chat-server or chat-gui is already
# installed, or /var/lib/chat-server exists: purging would remove that install and its data.
set -euo pipefail
cd "$(dirname "$0")/.."
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)

start=$SECONDS
step() { echo "== $* ($((SECONDS - start)) s)"; }
fail() {
  echo "release check FAILED: $*" >&2
  exit 1
}

for pkg in chat-server chat-gui; do
  if dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'installed'; then
    fail "$pkg is already installed here; this check would replace and purge it"
  fi
done
[ ! -e /var/lib/chat-server ] || fail "/var/lib/chat-server exists; purging would delete it"

scripts/release-linux.sh
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
VERSION=${VERSION:-$version}

work=$(mktemp -d)
server_pid=
installed=false
# A check that fails half-way leaves nothing installed (the next one would refuse to run).
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  if $installed; then
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive dpkg --purge chat-gui chat-server >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step "the tarball's programs run"
tar -C "$work" -xzf "dist/chat-${VERSION}-x86_64-linux.tar.gz"
tree="$work/chat-${VERSION}-x86_64-linux"
(cd dist && sha256sum -c "chat-${VERSION}-x86_64-linux.tar.gz.sha256")
[ "$("$tree/bin/chat-server" --version)" = "chat-server ${version}" ] || fail "tarball: chat-server --version"
[ "$("$tree/bin/chat-gui" --version)" = "chat-gui ${version}" ] || fail "tarball: chat-gui --version"
for f in share/chat-server/chat-server.service share/chat-server/chat-server.toml \
  share/applications/chat-gui.desktop share/icons/hicolor/256x256/apps/chat-gui.png; do
  [ -s "$tree/$f" ] || fail "tarball: $f missing"
done
"$tree/bin/chat-server" --config "$tree/share/chat-server/chat-server.toml" --check-config >/dev/null ||
  fail "tarball: the example configuration does not check"

step "dpkg -i both packages"
(cd dist && sha256sum -c debian-packages.sha256)
server_deb=$(ls dist/chat-server_*.deb)
gui_deb=$(ls dist/chat-gui_*.deb)
installed=true
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive dpkg -i "$server_deb" "$gui_deb"

step "the installed programs run"
[ "$(/usr/bin/chat-server --version)" = "chat-server ${version}" ] || fail "chat-server --version"
[ "$(/usr/bin/chat-gui --version)" = "chat-gui ${version}" ] || fail "chat-gui --version"
unit=/usr/lib/systemd/system/chat-server.service
[ -f "$unit" ] || fail "no systemd unit at $unit"
grep -q '^ExecStart=/usr/bin/chat-server ' "$unit" || fail "the unit does not start /usr/bin/chat-server"
# The package enables the service (a link in multi-user.target.wants), whether or not systemd
# runs here; where it does not (a container), nothing is started.
[ -L /etc/systemd/system/multi-user.target.wants/chat-server.service ] || fail "the service is not enabled"
getent passwd chat-server >/dev/null || fail "no chat-server user"
/usr/bin/chat-server --config /etc/chat-server/chat-server.toml --check-config >/dev/null ||
  fail "/etc/chat-server/chat-server.toml does not check"
[ -f /usr/share/applications/chat-gui.desktop ] || fail "no desktop entry"
[ -f /usr/share/icons/hicolor/256x256/apps/chat-gui.png ] || fail "no icon"

step "the installed server serves and answers a probe"
/usr/bin/chat-server --config /etc/chat-server/chat-server.toml --bind 127.0.0.1:0 \
  --data-dir "$work/data" >"$work/out" 2>"$work/log" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^listening on' "$work/out" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
addr=$(sed -n 's/^listening on //p' "$work/out")
[ -n "$addr" ] || {
  cat "$work/log" >&2
  fail "the installed server did not start"
}
/usr/bin/chat-server probe --addr "$addr" || fail "probe of the installed server"
kill -TERM "$server_pid"
wait "$server_pid" || fail "the installed server did not stop cleanly on SIGTERM"
server_pid=

step "dpkg --purge both packages"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive dpkg --purge chat-gui chat-server
installed=false
for f in /usr/bin/chat-server /usr/bin/chat-gui "$unit" /etc/chat-server/chat-server.toml \
  /usr/share/applications/chat-gui.desktop /etc/systemd/system/multi-user.target.wants/chat-server.service; do
  [ ! -e "$f" ] || fail "$f is still there after purging"
done
! getent passwd chat-server >/dev/null || fail "the chat-server user is still there after purging"

step "release check passed"
