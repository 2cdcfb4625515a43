#!/usr/bin/env bash
# The Linux part of a release, as .github/workflows/release.yml runs it: the release builds, the
# tarball chat-VERSION-x86_64-linux.tar.gz and the Debian packages (scripts/packages.sh), with
# their SHA-256 sums, in dist/. scripts/release-check.sh runs this and then installs what it made.
#
#   scripts/release-linux.sh               # VERSION from the workspace's Cargo.toml
#   VERSION=1.2.3 scripts/release-linux.sh # the release workflow passes the tag's
#
# Installs cargo-deb at the version pinned below when it is missing or another version.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tools a release is made with, pinned: a new cargo-deb once moved the systemd unit.
CARGO_DEB_VERSION=3.8.0

workspace_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
VERSION=${VERSION:-$workspace_version}
target=${CARGO_TARGET_DIR:-target}
name="chat-${VERSION}-x86_64-linux"

step() { echo "== $* ($(date +%T))"; }

step "release builds"
cargo build --release --locked -p chat-server -p chat-gui

step "tarball ${name}.tar.gz"
rm -rf "dist/${name}" "dist/${name}.tar.gz"
root="dist/${name}"
install -D -m 0755 "$target/release/chat-gui" "${root}/bin/chat-gui"
install -D -m 0755 "$target/release/chat-server" "${root}/bin/chat-server"
install -D -m 0644 assets/chat-gui.desktop "${root}/share/applications/chat-gui.desktop"
install -D -m 0644 assets/icon-256.png "${root}/share/icons/hicolor/256x256/apps/chat-gui.png"
install -D -m 0644 assets/icon.png "${root}/share/icons/hicolor/512x512/apps/chat-gui.png"
install -D -m 0644 deploy/chat-server.toml "${root}/share/chat-server/chat-server.toml"
install -D -m 0644 deploy/chat-server.service "${root}/share/chat-server/chat-server.service"
install -D -m 0644 docs/DEPLOY.md "${root}/share/doc/chat/DEPLOY.md"
install -D -m 0644 README.md "${root}/share/doc/chat/README.md"
tar -C dist -czf "dist/${name}.tar.gz" "${name}"
(cd dist && sha256sum "${name}.tar.gz" >"${name}.tar.gz.sha256")

step "Debian packages (cargo-deb ${CARGO_DEB_VERSION})"
if [ "$(cargo deb --version 2>/dev/null)" != "cargo-deb ${CARGO_DEB_VERSION}" ]; then
  cargo install cargo-deb --locked --version "${CARGO_DEB_VERSION}"
fi
rm -f "$target"/debian/*.deb dist/*.deb
scripts/packages.sh
cp "$target"/debian/*.deb dist/
(cd dist && sha256sum ./*.deb | sed 's| \./| |' >debian-packages.sha256)

step "made"
ls -l dist/*.tar.gz dist/*.deb dist/*.sha256
