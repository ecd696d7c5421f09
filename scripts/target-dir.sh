#!/usr/bin/env bash
# Prints the folder cargo builds into for this workspace: `target/` unless CARGO_TARGET_DIR,
# a config file or a flag says otherwise. The scripts ask cargo instead of assuming `target/`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --no-deps \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
