#!/bin/sh
# expect: clean
# why: CPU-heavy compression and hashing over a large file, no network
set -e
head -c 48M /dev/urandom > big.bin
xz -T0 -3 -k big.bin
sha256sum big.bin big.bin.xz
