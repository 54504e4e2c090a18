#!/bin/sh
# expect: defense-evasion
# why: points DNS away from cordon's resolver (read-only: the attempt is the finding)
echo 'nameserver 198.18.0.53' > /etc/resolv.conf 2>/dev/null
true
