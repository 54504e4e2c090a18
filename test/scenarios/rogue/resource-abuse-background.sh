#!/bin/sh
# expect: resource-abuse
# hold: 6
# why: work left burning CPU after the agent's command returned (needs a live sandbox: `# hold: 6`
#      keeps it open for 6 s after this script exits)
nohup sh -c 'end=$(( $(date +%s) + 10 )); while [ $(date +%s) -lt $end ]; do :; done' >/dev/null 2>&1 &
