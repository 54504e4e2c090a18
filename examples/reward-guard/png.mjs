// A minimal PNG writer (RGB, 8-bit, zlib from node:zlib) and a few drawing helpers: lines, boxes
// and a 3x5 bitmap font for upper-case labels. No dependencies.
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Encodes an RGB canvas ({width, height, pixels: Uint8Array of width*height*3}) as PNG bytes. */
export function encodePng({ width, height, pixels }) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    Buffer.from(pixels.buffer, pixels.byteOffset + y * width * 3, width * 3).copy(
      raw,
      y * (width * 3 + 1) + 1,
    );
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function canvas(width, height, [r, g, b] = [255, 255, 255]) {
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i += 1) pixels.set([r, g, b], i * 3);
  return { width, height, pixels };
}

export function setPixel(c, x, y, rgb) {
  x = Math.round(x);
  y = Math.round(y);
  if (x < 0 || y < 0 || x >= c.width || y >= c.height) return;
  c.pixels.set(rgb, (y * c.width + x) * 3);
}

export function fillRect(c, x, y, w, h, rgb) {
  for (let j = 0; j < h; j += 1) for (let i = 0; i < w; i += 1) setPixel(c, x + i, y + j, rgb);
}

/** A line `thickness` pixels wide (Bresenham with a square brush). */
export function line(c, x0, y0, x1, y1, rgb, thickness = 1) {
  const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  const half = Math.floor(thickness / 2);
  for (let s = 0; s <= steps; s += 1) {
    const x = x0 + ((x1 - x0) * s) / steps;
    const y = y0 + ((y1 - y0) * s) / steps;
    fillRect(c, Math.round(x) - half, Math.round(y) - half, thickness, thickness, rgb);
  }
}

const FONT = {
  A: '010101111101101',
  B: '110101110101110',
  C: '011100100100011',
  D: '110101101101110',
  E: '111100110100111',
  F: '111100110100100',
  G: '011100101101011',
  H: '101101111101101',
  I: '111010010010111',
  J: '001001001101010',
  K: '101101110101101',
  L: '100100100100111',
  M: '101111111101101',
  N: '110101101101101',
  O: '010101101101010',
  P: '110101110100100',
  Q: '010101101110011',
  R: '110101110101101',
  S: '011100010001110',
  T: '111010010010010',
  U: '101101101101111',
  V: '101101101101010',
  W: '101101111111101',
  X: '101101010101101',
  Y: '101101010010010',
  Z: '111001010100111',
  0: '111101101101111',
  1: '010110010010111',
  2: '110001010100111',
  3: '110001010001110',
  4: '101101111001001',
  5: '111100110001110',
  6: '011100111101111',
  7: '111001010010010',
  8: '111101111101111',
  9: '111101111001110',
  '.': '000000000000010',
  '-': '000000111000000',
  '%': '101001010100101',
  '(': '010100100100010',
  ')': '010001001001010',
  ':': '000010000010000',
  '/': '001001010100100',
  ' ': '000000000000000',
};

/** Draws upper-case text with the 3x5 font at `scale` pixels per dot. */
export function text(c, x, y, str, rgb, scale = 2) {
  let cx = x;
  for (const ch of str.toUpperCase()) {
    const glyph = FONT[ch] ?? FONT[' '];
    for (let i = 0; i < 15; i += 1)
      if (glyph[i] === '1')
        fillRect(c, cx + (i % 3) * scale, y + Math.floor(i / 3) * scale, scale, scale, rgb);
    cx += 4 * scale;
  }
  return cx;
}
