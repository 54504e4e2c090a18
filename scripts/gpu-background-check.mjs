// Part of scripts/gpu-check.sh: a live sandbox granted the GPU starts a GPU job in the background
// and returns; cordon must account the GPU memory the job holds and raise res.gpu-after-command.
// Prints one JSON line; exits 1 when the finding or the accounting is missing.
import { setTimeout as sleep } from 'node:timers/promises';
import { resolvePolicy } from '../dist/src/policy/index.js';
import { CordonRuntime } from '../dist/src/runtime/index.js';

const runtime = await CordonRuntime.start({ network: 'loopback' });
const policy = resolvePolicy({
  devices: { gpu: true },
  resources: { memoryMB: 16384, cpus: 2 },
  detect: { actions: { 'resource-abuse': 'alert' } },
});
const samples = [];
runtime.bus.subscribe((e) => {
  if (e.kind === 'resource.sample' && e.gpuMemoryBytes !== undefined)
    samples.push(e.gpuMemoryBytes);
});
const sandbox = await runtime.createSandbox({ policy });
const job =
  'import torch, time\nx = torch.randn(4096, 4096, device="cuda")\nend = time.time() + 20\n' +
  'while time.time() < end:\n    y = x @ x\n    torch.cuda.synchronize()\n    time.sleep(0.05)\n';
const started = await sandbox.exec(['sh', '-c', 'python3 -c "$JOB" >/dev/null 2>&1 &'], {
  env: { JOB: job },
  stepId: 'step-1',
});
const deadline = Date.now() + 25_000;
let finding;
while (!finding && Date.now() < deadline) {
  await sleep(500);
  finding = runtime.detector
    .findings(sandbox.sandboxId)
    .find((f) => f.rule === 'res.gpu-after-command');
}
await sandbox.destroy();
await runtime.close();
const peak = Math.max(0, ...samples);
console.log(
  JSON.stringify({
    execExit: started.exitCode,
    peakGpuMemoryBytes: peak,
    finding: finding && {
      rule: finding.rule,
      severity: finding.severity,
      evidence: finding.evidence,
    },
  }),
);
process.exit(finding && peak > 0 ? 0 : 1);
