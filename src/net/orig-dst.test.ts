import { existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { expect, test } from 'vitest';
import { nativeBuildPath, originalDst, socketFd } from './orig-dst.js';

const built = (() => {
  try {
    return existsSync(nativeBuildPath('orig_dst.node'));
  } catch {
    return false;
  }
})();

test.skipIf(!built)(
  'without a redirect: a typed error, or (once conntrack tracks the netns) the address actually dialled (needs make -C native)',
  async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const accepted = new Promise<Socket>((r) => server.once('connection', r));
    const c = connect(port, '127.0.0.1');
    const s = await accepted;
    try {
      expect(socketFd(s)).toBeGreaterThan(2);
      let result: unknown;
      try {
        result = originalDst(s);
      } catch (error) {
        result = (error as { code?: string }).code;
      }
      // Conntrack is only active in a netns once some nat/ct rule exists there (tests share one).
      expect([
        JSON.stringify({ address: '127.0.0.1', port }),
        '"CORDON_E_NETWORK_SETUP"',
      ]).toContain(JSON.stringify(result));
    } finally {
      c.destroy();
      s.destroy();
      server.close();
    }
  },
);
