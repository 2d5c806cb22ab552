#!/usr/bin/env bash
# Installs the Debian packages Switchover's demo and tests run for real, if they are missing.
# Usage: scripts/system-deps.sh demo|package|test
#   demo     npm run demo: QEMU
#   package  npm run package: zip (the Grafana plugin zip; dpkg-deb is on every Debian system)
#   test     npm test: QEMU, journald and journal-remote, Prometheus (promtool), Chromium, openssl,
#            and zip + debootstrap for the package's install test in a clean Debian root
set -euo pipefail
case "${1:-test}" in
  demo) pkgs=(qemu-system-x86) ;;
  package) pkgs=(zip) ;;
  test) pkgs=(qemu-system-x86 systemd systemd-journal-remote prometheus chromium openssl zip debootstrap
        libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu qemu-utils iproute2) ;;
  *) echo "usage: $0 demo|package|test" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
