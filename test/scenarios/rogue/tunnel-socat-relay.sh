#!/bin/sh
# expect: tunnel
# why: a relay from a local port to an outside SSH server
timeout 2 socat TCP-LISTEN:8022,fork TCP:relay.rogue.test:22
true
