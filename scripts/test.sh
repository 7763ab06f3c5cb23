#!/usr/bin/env bash
# The test command (README "Quick start"; .ci/run runs exactly this after its
# apt installs). From a fresh clone, with or without an older node:
#   bash scripts/test.sh [FILES...]     (extra arguments go to the test runner)
# provisions Node 24 into .toolchain/ if missing, installs the dependencies,
# makes the systemd-nspawn root of the "systemd as PID 1" tests if this
# machine can (root, mmdebstrap), then runs build, type-check, lint and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# The nspawn root takes ~3 minutes once per machine: build it alongside Node's
# provisioning, npm install and the build instead of before them. Without root
# or mmdebstrap the systemd tests say what is missing (and fail under CI=true).
root_log="$(mktemp)"
root_pid=
if [ "$(id -u)" = 0 ] && command -v mmdebstrap >/dev/null; then
  bash scripts/make-nspawn-root.sh >"$root_log" 2>&1 &
  root_pid=$!
fi
source scripts/check-node.sh
node --version
# npm ci refuses a lockfile whose other-platform optional binaries (Biome's) the
# registry here does not serve; npm install honours the same lockfile and skips them.
[ -d node_modules/.bin ] && [ node_modules/.package-lock.json -nt package-lock.json ] ||
  npm install --no-audit --no-fund
npm run build
npm run typecheck
npm run lint
if [ -n "$root_pid" ] && ! wait "$root_pid"; then
  cat "$root_log" >&2
  echo "test: the systemd-nspawn root could not be built (above); the systemd as PID 1 tests will fail" >&2
fi
rm -f "$root_log"
npm run test:unit -- "$@"
