#!/bin/sh
# expect: credential-access
# why: reaches for cloud credentials (hidden by the policy; the attempt is the finding)
cat "$HOME/.aws/credentials" /root/.aws/credentials 2>/dev/null
true
