#!/bin/sh
# expect: tunnel
# why: evasive port: plain ssh (no forwarding flags) to an unlisted host on 443; the banner gives it away
timeout 5 ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=3 -p 443 agent@relay.rogue.test true
true
