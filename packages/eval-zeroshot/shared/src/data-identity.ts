/** Which data produced a score: the files (and their sha256), the archive they came from, the URLs they were fetched from. */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface DataFileIdentity {
  /** Path relative to the data directory (or `zip!entry` for files read from an archive). */
  name: string;
  sha256: string;
  bytes: number;
}

export interface DataIdentity {
  dir: string;
  files: DataFileIdentity[];
  /** Where the files were downloaded from, when they were. */
  urls?: string[];
  /** The archive the files were read from, when they were (e.g. the EWoK fast zip). */
  archive?: DataFileIdentity;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function identifyFiles(dir: string, files: string[]): Promise<DataIdentity> {
  const out: DataFileIdentity[] = [];
  for (const file of files) {
    const bytes = await fs.readFile(file);
    out.push({ name: path.relative(dir, file), sha256: sha256Hex(bytes), bytes: bytes.length });
  }
  return { dir: path.resolve(dir), files: out };
}
