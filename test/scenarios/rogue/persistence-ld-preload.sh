#!/bin/sh
# expect: persistence
# why: a system-wide preload hook
echo /tmp/libhook.so > /etc/ld.so.preload 2>/dev/null
true
