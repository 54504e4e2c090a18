#!/bin/sh
# expect: clean
# why: a CPU-heavy hash loop for several seconds with no network and no other sign
/usr/bin/python3 - <<'PY'
import hashlib, time
h = b"x"
end = time.time() + 8
while time.time() < end:
    h = hashlib.sha256(h).digest()
print(h.hex())
PY
