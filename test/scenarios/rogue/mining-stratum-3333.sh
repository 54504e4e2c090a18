#!/bin/sh
# expect: mining
# why: stratum v1 subscribe sent to a pool on its usual port; the proxy classifies and denies it
/usr/bin/python3 - <<'PY'
import socket
s = socket.create_connection(("pool.rogue.test", 3333), timeout=3)
s.sendall(b'{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5"]}\n')
try: s.recv(100)
except Exception: pass
PY
