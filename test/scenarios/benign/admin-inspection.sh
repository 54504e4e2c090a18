#!/bin/sh
# expect: clean
# why: reading the network setup and listing processes, as admin tasks do
cat /etc/resolv.conf > /dev/null
ip addr show > /dev/null 2>&1
ps aux > /dev/null
mount > /dev/null
true
