#!/usr/bin/env bash
# Builds the Debian packages of the server and the client with cargo-deb, then checks what each
# holds: the files a user and systemd expect, the fields apt reads, and the maintainer scripts.
#
#   scripts/packages.sh            # leaves target/debian/*.deb (or $CARGO_TARGET_DIR/debian)
#
# Needs cargo-deb and dpkg-deb. scripts/release-linux.sh installs the cargo-deb the release uses
# (pinned there) and runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null || {
  echo "cargo-deb is missing: cargo install cargo-deb --locked --version 3.8.0 (see scripts/release-linux.sh)" >&2
  exit 1
}
debs=${CARGO_TARGET_DIR:-target}/debian

cargo build --release --locked -p chat-server -p chat-gui
# The packaged unit runs the binary where the package puts it.
mkdir -p target/deb-unit
sed 's|/usr/local/bin/chat-server|/usr/bin/chat-server|' deploy/chat-server.service \
  >target/deb-unit/chat-server.service
cargo deb --no-build -p chat-server
cargo deb --no-build -p chat-gui

fail=0
check_deb() {
  local deb=$1
  shift
  local listing
  listing=$(dpkg-deb -c "$deb")
  for path in "$@"; do
    if ! grep -q " \./${path}\$" <<<"$listing"; then
      echo "MISSING in $(basename "$deb"): /$path" >&2
      fail=1
    fi
  done
}
check_field() {
  local deb=$1 field=$2 want=$3
  local got
  got=$(dpkg-deb -f "$deb" "$field")
  if ! grep -q -- "$want" <<<"$got"; then
    echo "$(basename "$deb"): $field is '$got', expected to contain '$want'" >&2
    fail=1
  fi
}

server=$(ls -t "$debs"/chat-server_*.deb | head -1)
gui=$(ls -t "$debs"/chat-gui_*.deb | head -1)
# cargo-deb 3 puts the unit under /usr/lib/systemd/system (older versions: /lib/systemd/system;
# on a merged-/usr system, Debian 12 and Ubuntu 22.04 on, both are the same folder).
unit_path=usr/lib/systemd/system/chat-server.service
check_deb "$server" usr/bin/chat-server etc/chat-server/chat-server.toml \
  "$unit_path" usr/share/doc/chat-server/copyright
check_deb "$gui" usr/bin/chat-gui usr/share/applications/chat-gui.desktop \
  usr/share/icons/hicolor/256x256/apps/chat-gui.png usr/share/doc/chat-gui/copyright
check_field "$server" Package chat-server
check_field "$server" Depends adduser
check_field "$gui" Depends libxkbcommon-x11-0
# The unit starts the packaged binary; the scripts make the user and enable the service.
unit=$(dpkg-deb --fsys-tarfile "$server" | tar -xO "./$unit_path")
grep -q '^ExecStart=/usr/bin/chat-server ' <<<"$unit" || { echo "unit: wrong ExecStart" >&2; fail=1; }
control=$(mktemp -d)
dpkg-deb -e "$server" "$control"
grep -q 'adduser --system' "$control/postinst" || { echo "postinst makes no user" >&2; fail=1; }
grep -q 'systemctl' "$control/postinst" || { echo "postinst does not enable the unit" >&2; fail=1; }
grep -q '/etc/chat-server/chat-server.toml' "$control/conffiles" || { echo "config not a conffile" >&2; fail=1; }
rm -rf "$control"
# The desktop entry names the binary and icon the package installs.
entry=$(dpkg-deb --fsys-tarfile "$gui" | tar -xO ./usr/share/applications/chat-gui.desktop)
grep -q '^Exec=chat-gui' <<<"$entry" && grep -q '^Icon=chat-gui' <<<"$entry" || { echo "desktop entry" >&2; fail=1; }

[ "$fail" -eq 0 ] || exit 1
echo "packages checked:"
ls -l "$server" "$gui"
