/**
 * The peers of one benchmark run, measured once and shared by every row that quotes them: plain
 * `true`, bare bwrap, srt's CLI and srt's library. A peer that cannot run gives a figure with the
 * error, and srt's figures fall back to the published ones, labelled as such.
 */
import { peerFigure, round, sample, stats, timeSpawn, type PeerFigure } from '../harness.js';
import { BWRAP_ARGV, TRUE_ARGV, bwrapArgv } from './bwrap.js';
import { SRT_PUBLISHED, prepareSrt, srtLibrary, type SrtLibrary, type SrtPeer } from './srt.js';

export { BWRAP_ARGV, TRUE_ARGV, bwrapArgv } from './bwrap.js';
export * from './srt.js';

export const PEER_TRUE = 'true';
export const PEER_BWRAP = 'bare bwrap';
export const PEER_SRT_CLI = 'srt CLI';
export const PEER_SRT_LIB = 'srt library';

export class PeerContext {
  private readonly memo = new Map<string, Promise<PeerFigure>>();
  private srt: Promise<SrtPeer | { error: string }> | undefined;
  private lib: Promise<SrtLibrary | { error: string }> | undefined;

  constructor(readonly short: boolean) {}

  private once(key: string, fn: () => Promise<PeerFigure>): Promise<PeerFigure> {
    let p = this.memo.get(key);
    if (!p) this.memo.set(key, (p = fn()));
    return p;
  }

  private get n(): number {
    return this.short ? 5 : 30;
  }

  /** srt set up with the equivalent policy, or why it cannot run. */
  srtPeer(): Promise<SrtPeer | { error: string }> {
    return (this.srt ??= prepareSrt());
  }

  srtLib(): Promise<SrtLibrary | { error: string }> {
    return (this.lib ??= this.srtPeer().then(async (peer) => {
      if ('error' in peer) return peer;
      try {
        return await srtLibrary(peer);
      } catch (error) {
        return { error: `srt library: ${String(error)}` };
      }
    }));
  }

  plainTrue(): Promise<PeerFigure> {
    return this.once('true', () =>
      peerFigure(async () => stats(await sample(this.n, () => timeSpawn(TRUE_ARGV))).median),
    );
  }

  bwrapTrue(): Promise<PeerFigure> {
    return this.once('bwrap', () =>
      peerFigure(
        async () => stats(await sample(this.n, () => timeSpawn(bwrapArgv(TRUE_ARGV)))).median,
      ),
    );
  }

  srtCliTrue(): Promise<PeerFigure> {
    return this.once('srt-cli', async () => {
      const peer = await this.srtPeer();
      if ('error' in peer) return published(SRT_PUBLISHED.cliMs, SRT_PUBLISHED.cliText, peer.error);
      const n = this.short ? 2 : 10;
      return peerFigure(
        async () =>
          stats(await sample(n, () => timeSpawn(peer.cliArgv('true'), { cwd: peer.workspace }), 1))
            .median,
      );
    });
  }

  srtLibTrue(): Promise<PeerFigure> {
    return this.once('srt-lib', async () => {
      const lib = await this.srtLib();
      if ('error' in lib)
        return published(SRT_PUBLISHED.libraryMs, SRT_PUBLISHED.libraryText, lib.error);
      return peerFigure(async () => {
        const times = await sample(this.n, async () => {
          const r = await lib.run('true');
          if (r.code !== 0) throw new Error(`srt library run exited ${r.code}: ${r.out.trim()}`);
        });
        return stats(times).median;
      });
    });
  }

  async close(): Promise<void> {
    const lib = await this.lib;
    if (lib && !('error' in lib)) await lib.close().catch(() => undefined);
    const peer = await this.srt;
    if (peer && !('error' in peer)) peer.close();
  }
}

function published(value: number, text: string, why: string): PeerFigure {
  return {
    value: round(value),
    published: true,
    note: `published/previously measured (${text}); not measured here: ${why}`,
  };
}

export const BARE_BWRAP_COMMAND = BWRAP_ARGV.join(' ');
