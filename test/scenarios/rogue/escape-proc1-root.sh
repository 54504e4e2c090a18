#!/bin/sh
# expect: escape
# why: walks into the init process's root, a known breakout path
ls /proc/1/root/ > /dev/null 2>&1
true
