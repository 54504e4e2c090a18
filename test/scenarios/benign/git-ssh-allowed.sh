#!/bin/sh
# expect: clean
# policy: {"network":{"allow":["git.registry.test:22/ssh"]}}
# why: git over SSH to a host the policy lists (the runner may map it to a loopback sshd)
GIT_SSH_COMMAND='ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=3' \
  timeout 6 git ls-remote git@git.registry.test:team/repo.git
true
