#!/bin/sh
# Runs a command inside a throwaway network namespace with no uplink (only loopback), with a
# private /run/netns, so that nothing a test does can send a packet off this machine even if a
# redirect or a rule is missing. See the network safety rules in shared/design.md.
#   scripts/isolated.sh npx vitest run
set -eu
if [ "${CORDON_ISOLATED:-}" = "1" ]; then exec "$@"; fi
exec unshare --net --mount --propagation private -- sh -c '
  set -eu
  mkdir -p /run/netns
  mount -t tmpfs none /run/netns
  ip link set lo up
  export CORDON_ISOLATED=1
  exec "$@"
' isolated "$@"
