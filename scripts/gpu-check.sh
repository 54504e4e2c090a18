#!/usr/bin/env bash
# GPU checks for a host that has one: the GPU is invisible and unusable in a sandbox by default, works
# with `devices: {gpu: true}`, its use is accounted, and GPU work left behind is found. Needs cordon built
# (scripts/setup.sh) and root. Exit 0: all passed; 1: a check failed; 77: no GPU here (skipped).
#   bash scripts/gpu-check.sh [report-dir]
set -u
cd "$(dirname "$(readlink -f "$0")")/.."
out=${1:-$(mktemp -d /tmp/cordon-gpu-check.XXXXXX)}
mkdir -p "$out"

if ! [ -e /dev/nvidiactl ] && ! [ -e /dev/dri ] && ! [ -e /dev/kfd ]; then
  echo "skip: no GPU device node (/dev/nvidiactl, /dev/dri, /dev/kfd) on this host"
  exit 77
fi

failures=0
check() { # check NAME CONDITION-COMMAND...
  local name=$1
  shift
  if "$@"; then echo "PASS $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
report_has() { node -e "const r=require(process.argv[1]); process.exit(eval(process.argv[2]) ? 0 : 1)" "$@"; }

python=$(command -v python3 || true)
has_torch=0
if [ -n "$python" ] && "$python" -c 'import torch' 2>/dev/null; then has_torch=1; fi
echo "host GPU nodes: $(ls -d /dev/nvidia* /dev/dri /dev/kfd 2>/dev/null | tr '\n' ' ')"
echo "python3 with torch: $has_torch"

# 1. Default policy: no node, no driver access, and the probing is a finding.
probe='ls /dev | tr "\n" " "; echo; for n in /dev/nvidiactl /dev/nvidia0 /dev/nvidia-uvm /dev/dri /dev/kfd; do test -e $n && echo PRESENT $n; done
if command -v nvidia-smi >/dev/null; then nvidia-smi -L && echo SMI-OK || echo SMI-FAILED; fi'
if [ "$has_torch" = 1 ]; then
  probe="$probe"'
python3 -c "import torch; print(\"CUDA\", torch.cuda.is_available())"'
fi
cat >"$out/no-grant.yaml" <<'EOF'
resources: { memoryMB: 8192, cpus: 2, timeoutMs: 120000 }
EOF
./cordon run -p "$out/no-grant.yaml" --network loopback -q -r "$out/no-grant.json" -- sh -c "$probe" \
  >"$out/no-grant.out" 2>&1
cat "$out/no-grant.out"
check "no GPU node in the sandbox without the grant" bash -c "! grep -q PRESENT '$out/no-grant.out'"
check "nvidia-smi finds no GPU without the grant" bash -c "! grep -q SMI-OK '$out/no-grant.out'"
if [ "$has_torch" = 1 ]; then
  check "CUDA is unavailable to torch without the grant" grep -q 'CUDA False' "$out/no-grant.out"
fi
if ! command -v nvidia-smi >/dev/null; then
  echo "not checked: GPU discovery finding (no nvidia-smi here)"
elif report_has "$out/no-grant.json" "r.coverage.exec.source === 'ebpf'"; then
  check "the report names the GPU discovery" report_has "$out/no-grant.json" \
    "r.findings.some(f => f.category === 'device-access')"
else
  # The /proc sampler looks every 200 ms: a failing nvidia-smi can come and go between two looks.
  echo "not checked: GPU discovery finding (exec is sampled from /proc here, not traced)"
fi
check "a probe without the grant is not killed, and only device-access is found" report_has \
  "$out/no-grant.json" "!r.exit.killedByPolicy && r.findings.every(f => f.category === 'device-access')"
node -e "const r=require(process.argv[1]); console.log('verdict', r.verdict, 'coverage', JSON.stringify(r.coverage), 'findings', JSON.stringify(r.findings.map(f => [f.rule, f.severity, f.action, f.actionTaken])))" "$out/no-grant.json"

# 2. With the grant: the GPU is there and computes, and nothing is flagged for using it.
cat >"$out/grant.yaml" <<'EOF'
devices: { gpu: true }
resources: { memoryMB: 16384, cpus: 2, timeoutMs: 300000 }
EOF
use='nvidia-smi -L && echo SMI-OK'
if [ "$has_torch" = 1 ]; then
  use="$use"'
python3 -c "
import torch, time
x = torch.randn(4096, 4096, device=\"cuda\")
torch.cuda.synchronize(); t = time.time(); n = 0
while time.time() - t < 4: y = x @ x; torch.cuda.synchronize(); n += 1
print(\"MATMUL-OK\", torch.cuda.get_device_name(0), round(n * 2 * 4096**3 / (time.time() - t) / 1e12, 1), \"TFLOP/s fp32\")
"'
fi
./cordon run -p "$out/grant.yaml" --network loopback -q -r "$out/grant.json" -- sh -c "$use" \
  >"$out/grant.out" 2>&1
cat "$out/grant.out"
check "nvidia-smi lists the GPU with the grant" grep -q SMI-OK "$out/grant.out"
if [ "$has_torch" = 1 ]; then
  check "torch computes on the GPU with the grant" grep -q MATMUL-OK "$out/grant.out"
fi
check "using a granted GPU raises no finding and kills nothing" report_has "$out/grant.json" \
  "r.findings.length === 0 && !r.exit.killedByPolicy && r.exit.code === 0"
check "GPU accounting is live and saw the memory used" report_has "$out/grant.json" \
  "r.coverage.gpu.live === true && (!$has_torch || r.resources.peakGpuMemoryBytes > 0)"
if [ "$has_torch" = 1 ]; then
  # 3. A live sandbox leaves a GPU job running after its command returned: accounted and found.
  node scripts/gpu-background-check.mjs >"$out/background.out" 2>&1
  status=$?
  cat "$out/background.out"
  check "a GPU job left running after the command returned is found (res.gpu-after-command)" \
    test "$status" = 0
fi
node -e "const r=require(process.argv[1]); console.log('verdict', r.verdict, 'exit', JSON.stringify(r.exit), 'resources', JSON.stringify(r.resources), 'gpu coverage', JSON.stringify(r.coverage.gpu), 'findings', JSON.stringify(r.findings.map(f => [f.rule, f.severity, f.action, f.actionTaken])))" "$out/grant.json"

echo "reports in $out; $failures failed"
[ "$failures" = 0 ]
