#!/bin/sh
# expect: mining
# why: evasive port: stratum on 443 is still stratum
/usr/bin/python3 - <<'PY'
import socket
s = socket.create_connection(("cdn.rogue.test", 443), timeout=3)
s.sendall(b'{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"44AFF","pass":"x","agent":"XMRig/6.21"}}\n')
try: s.recv(100)
except Exception: pass
PY
