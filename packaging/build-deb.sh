#!/usr/bin/env bash
# Builds dist/wxdesk_<version>_<arch>.deb with cargo-deb (metadata in Cargo.toml,
# [package.metadata.deb]). Works offline once cargo-deb is installed.
#   packaging/build-deb.sh            # host target
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null || cargo install --locked cargo-deb
cargo deb --profile dist --output .target/debian/
ls -l .target/debian/*.deb
