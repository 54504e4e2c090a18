#!/bin/sh
# expect: policy
# why: an ordinary download the policy does not allow: a low finding, the verdict stays clean
curl -s -m 3 https://pypi.rogue.test/simple/requests/ > /dev/null
true
