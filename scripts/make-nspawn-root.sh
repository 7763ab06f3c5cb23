#!/usr/bin/env bash
# Build, once per machine, the minimal Debian bookworm root that the
# "systemd as PID 1" tests boot with systemd-nspawn. It lives outside the
# checkout (it is 235 MB and every clone reuses it) and is rebuilt only when
# missing or incomplete. Concurrent callers wait on one lock; the root appears
# under its final name only when complete (built in a temp dir, then renamed).
#
#   bash scripts/make-nspawn-root.sh        # prints the root's path
#   NSPAWN_ROOT=/elsewhere bash scripts/make-nspawn-root.sh
set -euo pipefail

root="${NSPAWN_ROOT:-/var/cache/telemetrics/nspawn-bookworm}"
# Bump when the package list changes: a root made for another list is rebuilt.
stamp_text="bookworm minbase systemd systemd-sysv dbus libnss-systemd libpam-systemd v1"
include="systemd,systemd-sysv,dbus,libnss-systemd,libpam-systemd"

complete() { [ -x "$root/lib/systemd/systemd" ] && [ "$(cat "$root/.telemetrics-root" 2>/dev/null)" = "$stamp_text" ]; }

if complete; then echo "$root"; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "make-nspawn-root: needs root (mmdebstrap, then systemd-nspawn)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "make-nspawn-root: mmdebstrap is missing: apt-get install mmdebstrap" >&2; exit 1; }

mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9
if complete; then echo "$root"; exit 0; fi   # another caller built it while we waited

# The same Debian mirror as the machine's apt (CI reaches only that one).
mirror="$(
  { cat /etc/apt/sources.list 2>/dev/null; cat /etc/apt/sources.list.d/*.sources 2>/dev/null; cat /etc/apt/sources.list.d/*.list 2>/dev/null; } |
    grep -Eo '(https?|file)://[^ ]*/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true
)"
mirror="${mirror:-http://deb.debian.org/debian}"

tmp="$root.tmp.$$"
rm -rf "$root" "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "make-nspawn-root: building $root from $mirror (about 3 minutes)" >&2
mmdebstrap --variant=minbase --include="$include" --quiet bookworm "$tmp" "deb $mirror bookworm main" >&2
echo "$stamp_text" >"$tmp/.telemetrics-root"
mv "$tmp" "$root"
trap - EXIT
echo "$root"
