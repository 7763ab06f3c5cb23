#!/usr/bin/env bash
# The main job from a fresh clone, in one command (README "Quick start"):
#   bash scripts/start.sh
# Provisions Node 24 and the dependencies if missing, builds, starts a
# collector on 127.0.0.1 and telemd with a local config (everything under
# .local/, no root, no systemd), sends one hprobe record, says where to see
# it, and keeps running until Ctrl-C, which stops both cleanly.
#
#   bash scripts/start.sh [--no-build]
#   LOCAL_DIR=/tmp/x bash scripts/start.sh   (state somewhere else than .local/)
set -euo pipefail
cd "$(dirname "$0")/.."
build=yes
case "${1:-}" in
  --no-build) build=no ;;
  "") ;;
  *) echo "usage: bash scripts/start.sh [--no-build]" >&2; exit 2 ;;
esac
source scripts/check-node.sh
if [ "$build" = yes ]; then
  [ -d node_modules/.bin ] && [ node_modules/.package-lock.json -nt package-lock.json ] ||
    npm install --no-audit --no-fund
  npm run build
fi

repo="$PWD"
local_dir="$(mkdir -p "${LOCAL_DIR:-.local}" && cd "${LOCAL_DIR:-.local}" && pwd)"
conf="$local_dir/telemd.conf"
# crash_dir too: a Node program that cannot reach telemd keeps its crash report there.
mkdir -p "$local_dir/spool" "$local_dir/crash"
: >"$local_dir/opt-in"

# ---- THE COLLECTOR -------------------------------------------------------
# telemetrics-collector (packages/collector) on its embedded SQLite default, the
# database under the local dir. This function starts a collector on 127.0.0.1,
# port COLLECTOR_PORT (0 = a free one), and prints its base URL as the first
# line of stdout.
start_collector() {
  exec node packages/collector/dist/telemetrics-collector.mjs --host 127.0.0.1 \
    --port "${COLLECTOR_PORT:-0}" --db "sqlite:$local_dir/collector.db"
}
COLLECTOR_NAME="collector (telemetrics-collector, SQLite at $local_dir/collector.db)"
COLLECTOR_RECORDS_PATH="/api/records"
# ---------------------------------------------------------------------------

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'echo; echo "start: stopping telemd and the collector"; cleanup; exit 0' INT TERM
trap cleanup EXIT

wait_for() { # wait_for SECONDS DESCRIPTION TEST...
  local until=$((SECONDS + $1)) what="$2"
  shift 2
  until "$@"; do
    if [ "$SECONDS" -ge "$until" ]; then echo "start: timed out waiting for $what" >&2; exit 1; fi
    sleep 0.1
  done
}

collector_out="$local_dir/collector.out"
start_collector >"$collector_out" 2>"$local_dir/collector.err" &
pids+=($!)
wait_for 30 "the collector to listen" test -s "$collector_out"
collector_url="$(head -n1 "$collector_out")"

# The local config (etc/telemd.local.conf) pointed at this collector.
# Its .local/ paths become absolute: every command works from any directory.
sed -e "s|^server=.*|server=$collector_url/v2/collector|" -e "s|=\.local/|=$local_dir/|" etc/telemd.local.conf >"$conf"
read -r -a node_flags <<<"$(node -p "require('./packages/telemd/package.json').telemetrics.nodeFlags.join(' ')")"
# telemd's log lines start with <N>, the priority journald files them under (6 info, 4 warning,
# 3 error). Not filtered through sed: Ctrl-C would stop sed too, and telemd's last lines with it.
node "${node_flags[@]}" packages/telemd/dist/telemd.mjs -f "$conf" &
pids+=($!)
wait_for 30 "telemd's socket" test -S "$local_dir/telem-0"

node packages/hprobe/dist/hprobe.mjs -f "$conf"
has_record() {
  node -e 'fetch(process.argv[1]).then((r) => r.json()).then((j) => process.exit(j.records?.length > 0 ? 0 : 1), () => process.exit(1))' \
    "$collector_url$COLLECTOR_RECORDS_PATH"
}
wait_for 30 "the record at the collector" has_record

cat <<EOF

telemd and the $COLLECTOR_NAME are running; hprobe's record was delivered.
  the collector:     $collector_url$COLLECTOR_RECORDS_PATH
  telemd's journal:  node packages/telemctl/dist/telemctl.mjs -f $conf journal -V
  another record:    node packages/libtelemetry/dist/bin/telem-record-gen.mjs -f $conf -c org.example/try/it -p hello
  (in another terminal, first: export PATH="$repo/.toolchain/bin:\$PATH")
Ctrl-C stops both.
EOF
wait
