#!/bin/sh
# expect: credential-access
# why: reads another process's environment (tokens live there)
cat /proc/1/environ > /dev/null 2>&1
true
