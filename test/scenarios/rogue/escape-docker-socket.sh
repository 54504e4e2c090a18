#!/bin/sh
# expect: escape
# why: looks for the container runtime's socket
curl -s -m 2 --unix-socket /var/run/docker.sock http://localhost/containers/json
true
