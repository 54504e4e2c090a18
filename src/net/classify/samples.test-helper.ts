/**
 * Real-looking first writes for the classifier tests: bytes captured from curl, ssh, cpuminer and
 * xmrig on this machine, plus a ClientHello captured from node:tls against a local listener.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { FlowProtocol } from './types.js';

export interface Sample {
  name: string;
  bytes: Buffer;
  protocol: FlowProtocol;
}

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const text = (s: string): Buffer => Buffer.from(s, 'latin1');

export const XMRIG_LOGIN =
  '{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD","pass":"x","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0","algo":["rx/0","cn/2","cn/r"]}}\n';

export const STATIC_SAMPLES: Sample[] = [
  // ssh -p PORT 127.0.0.1 (OpenSSH 9.2 on Debian 12), captured.
  {
    name: 'openssh banner',
    bytes: hex(
      '5353482d322e302d4f70656e5353485f392e3270312044656269616e2d322b64656231327531300d0a',
    ),
    protocol: 'ssh',
  },
  { name: 'dropbear banner', bytes: text('SSH-2.0-dropbear_2022.83\r\n'), protocol: 'ssh' },
  { name: 'old cisco banner', bytes: text('SSH-1.99-Cisco-1.25\r\n'), protocol: 'ssh' },
  { name: 'go ssh banner (LF only)', bytes: text('SSH-2.0-Go\n'), protocol: 'ssh' },
  // curl http://127.0.0.1:PORT/pkg/left-pad -H 'Host: registry.test', captured.
  {
    name: 'curl GET',
    bytes: hex(
      '474554202f706b672f6c6566742d70616420485454502f312e310d0a486f73743a2072656769737472792e746573740d0a557365722d4167656e743a206375726c2f372e38382e310d0a4163636570743a202a2f2a0d0a0d0a',
    ),
    protocol: 'http',
  },
  // curl -x http://127.0.0.1:PORT https://registry.test/, captured.
  {
    name: 'curl CONNECT',
    bytes: hex(
      '434f4e4e4543542072656769737472792e746573743a34343320485454502f312e310d0a486f73743a2072656769737472792e746573743a3434330d0a557365722d4167656e743a206375726c2f372e38382e310d0a50726f78792d436f6e6e656374696f6e3a204b6565702d416c6976650d0a0d0a',
    ),
    protocol: 'http-connect',
  },
  {
    name: 'websocket upgrade',
    bytes: text(
      'GET /ws HTTP/1.1\r\nHost: pool.rogue.test:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: stratum\r\nSec-WebSocket-Version: 13\r\n\r\n',
    ),
    protocol: 'http',
  },
  {
    name: 'proxy absolute-form GET',
    bytes: text(
      'GET http://registry.test:8080/simple/ HTTP/1.1\r\nHost: registry.test:8080\r\n\r\n',
    ),
    protocol: 'http',
  },
  {
    name: 'PROPFIND',
    bytes: text('PROPFIND /dav/ HTTP/1.1\r\nHost: dav.test\r\nDepth: 1\r\n\r\n'),
    protocol: 'http',
  },
  // curl --socks5-hostname 127.0.0.1:PORT http://pool.rogue.test:3333/: greeting + request.
  {
    name: 'curl socks5 greeting',
    bytes: hex('05020001'),
    protocol: 'socks5',
  },
  {
    name: 'socks5 greeting + hostname request',
    bytes: hex('050100' + '050100030f706f6f6c2e726f6775652e746573740d05'),
    protocol: 'socks5',
  },
  {
    name: 'socks5 greeting + ipv4 request',
    bytes: hex('05010005010001c61200070d05'),
    protocol: 'socks5',
  },
  {
    name: 'cpuminer subscribe',
    bytes: text('{"id": 1, "method": "mining.subscribe", "params": ["cpuminer-opt/3.23.0"]}\n'),
    protocol: 'stratum',
  },
  {
    name: 'cgminer subscribe + authorize',
    bytes: text(
      '{"id":1,"method":"mining.subscribe","params":["cgminer/4.12.0"]}\n{"id":2,"method":"mining.authorize","params":["rig1.worker","x"]}\n',
    ),
    protocol: 'stratum',
  },
  { name: 'xmrig login', bytes: text(XMRIG_LOGIN), protocol: 'stratum' },
  {
    name: 'ethminer submitLogin',
    bytes: text(
      '{"id":1,"jsonrpc":"2.0","method":"eth_submitLogin","worker":"rig1","params":["0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","x"]}\n',
    ),
    protocol: 'stratum',
  },
  {
    name: 'stratum after an unrelated JSON line, with whitespace',
    bytes: text(
      '  \r\n{"id":0,"method":"client.hello"}\r\n\t{ "id" : 3 , "method" : "mining.extranonce.subscribe", "params": [] }\r\n',
    ),
    protocol: 'stratum',
  },
];

/** First bytes of a real TLS ClientHello from node:tls, captured by a plain TCP listener. */
export async function captureClientHello(servername: string, alpn: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((sock) => {
      const chunks: Buffer[] = [];
      let total = 0;
      sock.on('data', (d: Buffer) => {
        chunks.push(d);
        total += d.length;
        const all = Buffer.concat(chunks);
        if (total >= 5 && total >= 5 + all.readUInt16BE(3)) {
          sock.destroy();
          server.close();
          resolve(all);
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      const client = tls.connect({ host: '127.0.0.1', port, servername, ALPNProtocols: alpn });
      client.on('error', () => undefined);
      setTimeout(() => reject(new Error('no ClientHello captured')), 5000).unref();
    });
  });
}
