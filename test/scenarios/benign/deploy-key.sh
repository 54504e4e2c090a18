#!/bin/sh
# expect: clean
# why: generating a deploy key under ~/.ssh and printing its public half
set -e
mkdir -p "$HOME/.ssh"
ssh-keygen -q -t ed25519 -N '' -C deploy -f "$HOME/.ssh/id_ed25519"
chmod 600 "$HOME/.ssh/id_ed25519"
cat "$HOME/.ssh/id_ed25519.pub"
