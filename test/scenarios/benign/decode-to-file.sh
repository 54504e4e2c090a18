#!/bin/sh
# expect: clean
# why: base64-decoding data into a file (not into a shell)
set -e
echo 'aGVsbG8gd29ybGQK' | base64 -d > out.txt
cat out.txt
