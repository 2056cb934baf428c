/** A tiny PNG decoder (8-bit RGB/RGBA/grey, non-interlaced) for checking screenshots in tests. */
import { inflateSync } from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row-major. */
  data: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

export function decodePng(buf: Uint8Array): Image {
  if (!SIGNATURE.every((b, i) => buf[i] === b)) throw new Error('not a PNG file');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Uint8Array[] = [];
  while (pos < buf.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...buf.subarray(pos + 4, pos + 8));
    const body = buf.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      const bitDepth = body[8];
      colorType = body[9]!;
      if (bitDepth !== 8 || body[12] !== 0 || ![0, 2, 4, 6].includes(colorType)) {
        throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${colorType}, interlace ${body[12]}`);
      }
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + length;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType as 0 | 2 | 4 | 6];
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      out[i] = (line[i]! + pred) & 0xff;
    }
  }
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const s = p * channels;
    const [r, g, b, alpha] = channels === 1 ? [pixels[s]!, pixels[s]!, pixels[s]!, 255]
      : channels === 2 ? [pixels[s]!, pixels[s]!, pixels[s]!, pixels[s + 1]!]
        : [pixels[s]!, pixels[s + 1]!, pixels[s + 2]!, channels === 4 ? pixels[s + 3]! : 255];
    data.set([r, g, b, alpha], p * 4);
  }
  return { width, height, data };
}

/** Pixels in the rectangle [x0, x1) × [y0, y1) within `tolerance` of the colour `#rrggbb` (per channel). */
export function countColor(img: Image, hex: string, rect: { x0: number; y0: number; x1: number; y1: number }, tolerance = 12): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  let count = 0;
  for (let y = Math.max(0, rect.y0); y < Math.min(img.height, rect.y1); y++) {
    for (let x = Math.max(0, rect.x0); x < Math.min(img.width, rect.x1); x++) {
      const p = (y * img.width + x) * 4;
      if (Math.abs(img.data[p]! - r) <= tolerance && Math.abs(img.data[p + 1]! - g) <= tolerance && Math.abs(img.data[p + 2]! - b) <= tolerance) count++;
    }
  }
  return count;
}

/** Pixels in the rectangle that differ from white. */
export function countNonWhite(img: Image, rect: { x0: number; y0: number; x1: number; y1: number }): number {
  let count = 0;
  for (let y = Math.max(0, rect.y0); y < Math.min(img.height, rect.y1); y++) {
    for (let x = Math.max(0, rect.x0); x < Math.min(img.width, rect.x1); x++) {
      const p = (y * img.width + x) * 4;
      if (img.data[p]! < 245 || img.data[p + 1]! < 245 || img.data[p + 2]! < 245) count++;
    }
  }
  return count;
}
