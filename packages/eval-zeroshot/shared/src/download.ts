/**
 * Fetch evaluation files from their public homes (OSF, GitHub raw) into a cache directory. A file is written
 * only after the whole body arrived and its length (and sha256, when given) checked out, then renamed into
 * place, so a failed or truncated transfer never leaves a file that looks complete.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataError, writeFileAtomic } from '@class-it/core';

export interface DownloadOptions {
  /** Expected sha256 (hex) of the file; a mismatch is an error and nothing is cached. */
  sha256?: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** `<cacheDir>/<first 16 hex of sha256(url)>/<file name of the URL>`: the name (its stem is a UID) survives. */
export function cachePathFor(url: string, cacheDir: string): string {
  const name = decodeURIComponent(path.posix.basename(new URL(url).pathname)) || 'download';
  const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return path.join(cacheDir, key, name);
}

export async function downloadToCache(url: string, cacheDir: string, options: DownloadOptions = {}): Promise<string> {
  const target = cachePathFor(url, cacheDir);
  try {
    await fs.access(target);
    return target;
  } catch {
    // not cached yet
  }
  const doFetch = options.fetchImpl ?? fetch;
  let body: Uint8Array;
  try {
    const response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 120_000), redirect: 'follow' });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    body = new Uint8Array(await response.arrayBuffer());
    const declared = response.headers.get('content-length');
    if (declared !== null && response.headers.get('content-encoding') === null && Number(declared) !== body.length) {
      throw new Error(`truncated transfer: got ${body.length} of ${declared} bytes`);
    }
  } catch (err) {
    throw new DataError(`download failed: ${(err as Error).message}${(err as Error).cause ? ` (${String((err as Error).cause)})` : ''}`, { file: url }, { cause: err });
  }
  if (options.sha256) {
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== options.sha256.toLowerCase()) throw new DataError(`sha256 mismatch: expected ${options.sha256}, got ${actual}`, { file: url });
  }
  await writeFileAtomic(target, body);
  return target;
}
