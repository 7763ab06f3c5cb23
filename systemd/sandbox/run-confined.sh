#!/bin/sh
# Runs COMMAND roughly as telemd.service confines telemd, for tests on a
# machine without systemd as PID 1: in a private mount namespace with / read
# only except the given directories (ProtectSystem=strict + ReadWritePaths=),
# as uid/gid 65534 with no supplementary groups (User=), no capabilities
# (CapabilityBoundingSet=, AmbientCapabilities=) and no_new_privs
# (NoNewPrivileges=). Must start as root. Every step execs, so the PID never
# changes: under systemd-socket-activate, LISTEN_PID stays the PID of COMMAND.
#
#   run-confined.sh RW_DIR... -- COMMAND [ARGS...]
set -eu
if [ "${TELEM_CONFINED_INNER:-}" != 1 ]; then
  TELEM_CONFINED_INNER=1 exec unshare --mount --propagation private -- "$0" "$@"
fi
unset TELEM_CONFINED_INNER
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  mount --bind "$1" "$1"
  shift
done
[ $# -gt 1 ] || { echo "usage: run-confined.sh RW_DIR... -- COMMAND [ARGS...]" >&2; exit 2; }
shift
mount -o remount,bind,ro /
exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
