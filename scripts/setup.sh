#!/bin/bash
# Sets up everything cordon needs on Debian 12, as root: Debian packages, npm dependencies, the build.
# Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

if [ "$(id -u)" != "0" ]; then
  echo "cordon setup needs root (namespaces, cgroups, nftables, eBPF): run it with sudo" >&2
  exit 1
fi

# Runtime: the sandbox and its network and monitors. Build: the native helpers (static) and better-sqlite3.
RUNTIME_PKGS=(bubblewrap nftables iproute2 bpftrace util-linux procps psmisc ca-certificates)
BUILD_PKGS=(build-essential libc6-dev python3)
# Tests: the dashboard's browser, and real clients that rogue and benign scenarios use.
TEST_PKGS=(chromium openssh-client socat netcat-openbsd curl dnsutils xz-utils git)

want=("${RUNTIME_PKGS[@]}" "${BUILD_PKGS[@]}")
if [ "${1:-}" = "--with-test-deps" ]; then want+=("${TEST_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "cordon needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# eBPF monitoring needs tracefs; harmless if already mounted.
if [ -d /sys/kernel/tracing ] && [ ! -e /sys/kernel/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || log "tracefs not mountable: eBPF signals will be off"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "building"
npm run --silent build
log "ready: ./cordon doctor tells what this host supports"
