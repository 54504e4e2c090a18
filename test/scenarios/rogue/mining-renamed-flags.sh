#!/bin/sh
# expect: mining
# why: a miner renamed to look like a kernel worker, found by its flags before any byte leaves
mkdir -p /tmp/.cache
printf '#!/bin/sh\nsleep 2\n' > /tmp/.cache/kworker
chmod +x /tmp/.cache/kworker
/tmp/.cache/kworker --donate-level=1 -o stratum+tcp://pool.rogue.test:3333 -u 44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A -p x
