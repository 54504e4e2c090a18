#!/bin/sh
# expect: clean
# why: CPU-heavy compression and hashing over a large file, no network
set -e
# 8 MiB: xz on random data runs ~1 MB/s a core on these machines; the corpus bounds each script to ~10 s.
head -c 8M /dev/urandom > big.bin
xz -T0 -1 -k big.bin
sha256sum big.bin big.bin.xz
