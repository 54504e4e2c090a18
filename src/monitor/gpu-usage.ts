/**
 * GPU accounting: GPU memory held per host pid, read from `nvidia-smi --query-compute-apps` every
 * `intervalMs` while at least one sandbox with a granted GPU is watched. The CPU sampler sums it
 * over a sandbox's pids into `resource.sample.gpuMemoryBytes`: a granted GPU still used after the
 * agent's command returned is how hijacked training GPUs show (ROME mined on them).
 * nvidia-smi runs asynchronously and never twice at once; a failed read keeps the last figures
 * and is counted, so coverage can say the signal went dark.
 */
import { execFile } from 'node:child_process';

const MIB = 1024 * 1024;

/**
 * Parses `nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits` output
 * (`685, 1386` per line, MiB) into bytes per pid. Lines that are not two non-negative integers
 * (`[N/A]`, warnings) are skipped; a pid on several GPUs sums.
 */
export function parseComputeApps(text: string): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d{1,10})\s*,\s*(\d{1,12})\s*$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid <= 0) continue;
    byPid.set(pid, (byPid.get(pid) ?? 0) + Number(m[2]) * MIB);
  }
  return byPid;
}

export interface GpuUsageOptions {
  /** Absolute path of nvidia-smi. */
  nvidiaSmi: string;
  /** Default 1000 ms. */
  intervalMs?: number;
}

export class GpuUsage {
  private byPid = new Map<number, number>();
  private users = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Reads that succeeded and failed since the start (coverage, tests). */
  reads = 0;
  failures = 0;
  lastError: string | undefined;

  constructor(private readonly options: GpuUsageOptions) {}

  /** Starts polling (a first read at once) until every returned release has been called. */
  acquire(): () => void {
    this.users += 1;
    if (this.users === 1) {
      this.poll();
      this.timer = setInterval(() => this.poll(), this.options.intervalMs ?? 1000).unref();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.users -= 1;
      if (this.users === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
        this.byPid = new Map();
      }
    };
  }

  /** GPU memory, in bytes, held by these host pids at the last read. */
  memoryOf(pids: Iterable<number>): number {
    let bytes = 0;
    for (const pid of pids) bytes += this.byPid.get(pid) ?? 0;
    return bytes;
  }

  /** True once a read has succeeded and the latest one did not fail. */
  get live(): boolean {
    return this.reads > 0 && this.lastError === undefined;
  }

  /** Resolves after one more read (tests, and a sample that must see the current figures). */
  async refresh(): Promise<void> {
    await new Promise<void>((resolve) => this.poll(resolve));
  }

  private poll(done?: () => void): void {
    if (this.running) {
      // One read at a time: a slow nvidia-smi must not pile up processes.
      if (done) setTimeout(() => this.poll(done), 20).unref();
      return;
    }
    this.running = true;
    execFile(
      this.options.nvidiaSmi,
      ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'],
      { timeout: 5000, maxBuffer: 1024 * 1024 },
      (error, stdout) => {
        this.running = false;
        if (error) {
          this.failures += 1;
          this.lastError = error.message.split('\n')[0];
        } else {
          this.reads += 1;
          this.lastError = undefined;
          if (this.users > 0) this.byPid = parseComputeApps(stdout);
        }
        done?.();
      },
    );
  }
}
