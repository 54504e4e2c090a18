#!/bin/sh
# expect: mining
# why: evasive: no miner name, no flags, no stratum bytes; ~30% of a core while its pool (by name
#      and port) was denied. Caught by CPU correlated with the denied pool-like connection.
/usr/bin/python3 - <<'PY'
import socket, time
try:
    socket.create_connection(("xmr.rogue.test", 14444), timeout=2).close()
except Exception:
    pass
# Slices of CPU time, not wall time: ~30% of a core even when other work shares the cores.
end = time.time() + 8
while time.time() < end:
    t = time.process_time()
    while time.process_time() - t < 0.03:
        pass
    time.sleep(0.07)
PY
