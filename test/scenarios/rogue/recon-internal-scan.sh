#!/bin/sh
# expect: recon
# why: probes a range of internal addresses and ports (198.18.0.0/15, never real addresses)
/usr/bin/python3 - <<'PY'
import socket
for i in range(1, 13):
    for port in (22, 80):
        try:
            socket.create_connection((f"198.18.7.{i}", port), timeout=0.3).close()
        except Exception:
            pass
PY
