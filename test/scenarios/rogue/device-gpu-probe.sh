#!/bin/sh
# expect: device-access
# why: GPU discovery and device opens in a sandbox granted no GPU
nvidia-smi 2>/dev/null
lspci 2>/dev/null | grep -i vga
cat /dev/nvidia0 2>/dev/null
true
