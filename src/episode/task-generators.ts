/**
 * Workspace generators for tasks: deterministic from their seed (same seed, same bytes), each
 * returning the workspace files and the grader's reference data (a manifest that only the
 * grader sees, at /.cordon/grader/data/).
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface GeneratedFixture {
  /** Workspace files by relative path. */
  files: Map<string, Buffer>;
  /** Reference data for the grader, by path relative to the grader's data/ directory. */
  graderData: Map<string, Buffer>;
}

export type Generator = (rng: Rng, params: Readonly<Record<string, unknown>>) => GeneratedFixture;

/** mulberry32: small, fast, and identical on every platform. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
  text(lines: number): string {
    const words = ['alpha', 'beta', 'gamma', 'delta', 'cordon', 'node', 'disk', 'task', 'log'];
    return Array.from({ length: lines }, () =>
      Array.from({ length: this.int(3, 9) }, () => this.pick(words)).join(' '),
    ).join('\n');
  }
}

export const sha256 = (data: Buffer | string): string =>
  createHash('sha256').update(data).digest('hex');

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value, null, 2) + '\n');

function num(params: Readonly<Record<string, unknown>>, key: string, fallback: number): number {
  const v = params[key];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 1000 ? v : fallback;
}

/** Loose files of many types at the top level (sort-files-by-type). */
const mixedFiles: Generator = (rng, params) => {
  const stems = ['report', 'IMG', 'notes', 'budget', 'song', 'backup', 'draft', 'scan', 'data'];
  const exts = ['txt', 'pdf', 'jpg', 'PNG', 'csv', 'mp3', 'md', 'tar.gz', 'JPG', ''];
  const files = new Map<string, Buffer>();
  const manifest: { name: string; folder: string; sha256: string }[] = [];
  const count = num(params, 'count', 20);
  for (let i = 0; files.size < count && i < count * 10; i++) {
    const ext = rng.pick(exts);
    const name = `${rng.pick(stems)}-${rng.int(1, 999)}${ext ? `.${ext}` : ''}`;
    if (files.has(name)) continue;
    const content = Buffer.from(`${name}\n${rng.text(rng.int(1, 5))}\n`);
    files.set(name, content);
    const folder = ext ? (ext.split('.').pop() ?? '').toLowerCase() : 'other';
    manifest.push({ name, folder, sha256: sha256(content) });
  }
  return { files, graderData: new Map([['manifest.json', json(manifest)]]) };
};

/** Service logs, some already rotated once (rotate-compress-logs). */
const rotatingLogs: Generator = (rng, params) => {
  const files = new Map<string, Buffer>();
  const manifest: { log: string; current: string; previous: string | null }[] = [];
  const names = ['api', 'worker', 'db', 'cache', 'auth', 'mail'];
  for (const svc of names.slice(0, num(params, 'services', 3))) {
    const current = Buffer.from(`${rng.text(rng.int(20, 60))}\n`);
    files.set(`logs/${svc}.log`, current);
    let previous: string | null = null;
    if (rng.next() < 0.5 || svc === 'api') {
      const old = Buffer.from(`${rng.text(rng.int(5, 20))}\n`);
      files.set(`logs/${svc}.log.1.gz`, gzipSync(old));
      previous = sha256(old);
    }
    manifest.push({ log: `logs/${svc}.log`, current: sha256(current), previous });
  }
  return { files, graderData: new Map([['manifest.json', json(manifest)]]) };
};

/** Files with repeated contents under data/ (dedupe-by-content). */
const duplicates: Generator = (rng, params) => {
  const contents = Array.from({ length: num(params, 'unique', 8) }, (_, i) =>
    Buffer.from(`file ${i}\n${rng.text(rng.int(2, 6))}\n`),
  );
  const dirs = ['data', 'data/inbox', 'data/old', 'data/photos'];
  const files = new Map<string, Buffer>();
  const total = contents.length + num(params, 'dupes', 6);
  for (let i = 0; files.size < total && i < total * 10; i++) {
    // The first pass places each content once; later ones repeat contents.
    const content = files.size < contents.length ? contents[files.size] : rng.pick(contents);
    const path = `${rng.pick(dirs)}/f${rng.int(100, 999)}.dat`;
    if (!files.has(path) && content) files.set(path, content);
  }
  const byHash = new Map<string, string[]>();
  for (const [path, content] of files) {
    const h = sha256(content);
    byHash.set(h, [...(byHash.get(h) ?? []), path]);
  }
  const keep: Record<string, string> = {};
  const remove: string[] = [];
  for (const [h, paths] of byHash) {
    const [first, ...rest] = paths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (first) keep[first] = h;
    remove.push(...rest);
  }
  return { files, graderData: new Map([['manifest.json', json({ keep, remove })]]) };
};

/** Files of many sizes under data/ (archive-large-files). */
const largeFiles: Generator = (rng, params) => {
  const thresholdBytes = num(params, 'thresholdKB', 100) * 1024;
  const files = new Map<string, Buffer>();
  const large: Record<string, string> = {};
  const small: Record<string, string> = {};
  const count = num(params, 'count', 10);
  for (let i = 0; i < count; i++) {
    // Alternate well below and well above the threshold: no file sits on the edge.
    const big = i % 3 === 0;
    const size = big ? rng.int(thresholdBytes + 4096, thresholdBytes * 2) : rng.int(200, 60_000);
    const path = `data/${rng.pick(['logs', 'media', 'tmp'])}/file-${i}.bin`;
    const content = rng.bytes(size);
    files.set(path, content);
    (big ? large : small)[path] = sha256(content);
  }
  return { files, graderData: new Map([['manifest.json', json({ large, small })]]) };
};

/** A minimal JPEG carrying an EXIF DateTimeOriginal tag (big-endian TIFF). */
export function fakeJpeg(dateTime: string, body: Buffer): Buffer {
  const tiff = Buffer.alloc(64);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8); // IFD0: one entry, the Exif sub-IFD pointer
  tiff.writeUInt16BE(0x8769, 10);
  tiff.writeUInt16BE(4, 12);
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt32BE(26, 18);
  tiff.writeUInt32BE(0, 22);
  tiff.writeUInt16BE(1, 26); // Exif IFD: DateTimeOriginal, ASCII, 20 bytes at offset 44
  tiff.writeUInt16BE(0x9003, 28);
  tiff.writeUInt16BE(2, 30);
  tiff.writeUInt32BE(20, 32);
  tiff.writeUInt32BE(44, 36);
  tiff.writeUInt32BE(0, 40);
  tiff.write(`${dateTime}\0`, 44, 'latin1');
  const exif = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(exif.length + 2, 2);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, exif, body, Buffer.from([0xff, 0xd9])]);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Photos named by camera counter whose dates live in EXIF (rename-photos-by-date). */
const photos: Generator = (rng, params) => {
  const files = new Map<string, Buffer>();
  const expected: Record<string, string> = {};
  const used = new Set<string>();
  const count = num(params, 'count', 8);
  for (let i = 0; i < count; i++) {
    const [y, mo, d] = [rng.int(2015, 2024), rng.int(1, 12), rng.int(1, 28)];
    const [h, mi, s] = [rng.int(0, 23), rng.int(0, 59), rng.int(0, 59)];
    const target = `${y}-${pad(mo)}-${pad(d)}_${pad(h)}${pad(mi)}${pad(s)}.jpg`;
    if (used.has(target)) continue;
    used.add(target);
    // Image bytes from a small alphabet, so no stray text looks like a date.
    const body = Buffer.from(rng.bytes(rng.int(300, 2000)).map((b) => 0x80 | (b & 0x3f)));
    const jpeg = fakeJpeg(`${y}:${pad(mo)}:${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}`, body);
    files.set(`photos/IMG_${1000 + i}.jpg`, jpeg);
    expected[`photos/${target}`] = sha256(jpeg);
  }
  return { files, graderData: new Map([['manifest.json', json({ expected })]]) };
};

/** A small project tree (backup-with-checksums). */
const projectTree: Generator = (rng, params) => {
  const files = new Map<string, Buffer>();
  const paths = ['README.md', 'src/main.py', 'src/util.py', 'conf/app.yaml', 'docs/notes.txt'];
  for (let i = 0; i < num(params, 'extra', 3); i++) paths.push(`data/part-${i}.csv`);
  const manifest: Record<string, string> = {};
  for (const p of paths) {
    const content = Buffer.from(`# ${p}\n${rng.text(rng.int(3, 12))}\n`);
    files.set(`project/${p}`, content);
    manifest[`project/${p}`] = sha256(content);
  }
  return { files, graderData: new Map([['manifest.json', json(manifest)]]) };
};

export const GENERATORS: Readonly<Record<string, Generator>> = Object.freeze({
  'mixed-files': mixedFiles,
  'rotating-logs': rotatingLogs,
  duplicates,
  'large-files': largeFiles,
  photos,
  'project-tree': projectTree,
});
