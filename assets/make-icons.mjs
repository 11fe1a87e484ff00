#!/usr/bin/env node
// Draws the app and tray icons as PNGs with no image tools: a few shapes, 4x4 supersampled, zlib-deflated.
// Run `node assets/make-icons.mjs` after changing a shape; the PNGs are committed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
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
function encodePng(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** `paint(x, y)` in unit coordinates (0..1) returns [r, g, b, a] (0..255) or null for transparent. */
function render(size, paint) {
  const out = Buffer.alloc(size * size * 4);
  const S = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const c = paint((x + (sx + 0.5) / S) / size, (y + (sy + 0.5) / S) / size);
          if (!c) continue;
          const alpha = c[3] / 255;
          r += c[0] * alpha; g += c[1] * alpha; b += c[2] * alpha; a += alpha;
        }
      }
      const i = (y * size + x) * 4;
      if (a > 0) {
        out[i] = Math.round(r / a); out[i + 1] = Math.round(g / a); out[i + 2] = Math.round(b / a);
      }
      out[i + 3] = Math.round((a / (S * S)) * 255);
    }
  }
  return out;
}

const dist = (x, y) => Math.hypot(x - 0.5, y - 0.5);
const RED = [229, 57, 53, 255];
const WHITE = [245, 245, 245, 255];
const GREY = [140, 140, 140, 255];
const SLATE = [30, 41, 59, 255];

// Tray, recording: a red dot in a light ring. Idle: a hollow grey ring.
const trayRecording = (x, y) => {
  const d = dist(x, y);
  if (d <= 0.3) return RED;
  if (d <= 0.46) return d >= 0.38 ? WHITE : null;
  return null;
};
const trayIdle = (x, y) => {
  const d = dist(x, y);
  return d <= 0.44 && d >= 0.3 ? GREY : null;
};

// App icon: a rounded slate square with a record button and two "wave" arcs.
const appIcon = (x, y) => {
  const m = 0.06, r = 0.2;
  const qx = Math.max(m + r - x, 0, x - (1 - m - r));
  const qy = Math.max(m + r - y, 0, y - (1 - m - r));
  if (Math.hypot(qx, qy) > r) return null;
  const d = dist(x, y);
  if (d <= 0.17) return RED;
  const arc = (radius) => Math.abs(d - radius) <= 0.028 && Math.abs(y - 0.5) < (x - 0.5 > 0 ? 0.9 : -1) * (x - 0.5) * 1.1;
  if (arc(0.25) || arc(0.34)) return WHITE;
  return SLATE;
};

const files = {
  'tray-recording.png': [16, trayRecording],
  'tray-recording@2x.png': [32, trayRecording],
  'tray-idle.png': [16, trayIdle],
  'tray-idle@2x.png': [32, trayIdle],
  'icon.png': [512, appIcon],
};
for (const [name, [size, paint]] of Object.entries(files)) {
  writeFileSync(join(here, name), encodePng(size, render(size, paint)));
  process.stdout.write(`${name} ${size}x${size}\n`);
}
