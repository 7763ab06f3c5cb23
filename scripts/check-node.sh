# Sourced by the shell entry points (scripts/start.sh, scripts/test.sh):
# puts the project's Node 24 first on PATH, provisioning it if missing.
# Works with no node at all, or an older one: it runs no JavaScript itself.
# shellcheck shell=bash
_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! [ -x "$_repo/.toolchain/bin/node" ] || [ "$("$_repo/.toolchain/bin/node" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" != 24 ]; then
  bash "$_repo/scripts/provision-node.sh"
fi
export PATH="$_repo/.toolchain/bin:$PATH"
unset _repo
