/**
 * Resumable, verified downloads. A file is fetched into `<target>.partial`; an interrupted transfer resumes with
 * an HTTP Range request (guarded by If-Range on the ETag, so a changed file restarts from zero); the finished
 * file is checked against its SHA-256 (given, or the ETag when that is a SHA-256, as the Hub's LFS ETags are) and
 * its size, then renamed into place. A sidecar `<target>.meta.json` records what was verified.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import http from 'node:http';
import https from 'node:https';
import { ClassItError, DataError, readJsonIfExists, writeJsonAtomic } from '@class-it/core';

export interface DownloadOptions {
  url: string;
  target: string;
  /** Expected SHA-256 (hex). Without it, an ETag that is a SHA-256 is used; else only the size is checked. */
  sha256?: string;
  expectedSize?: number;
  headers?: Record<string, string>;
  /** Transfers tried before giving up (each one resumes the last). Default 5. */
  maxAttempts?: number;
  log?: (line: string) => void;
}

export interface DownloadMeta {
  url: string;
  sha256: string;
  size: number;
  etag?: string;
  verifiedBy: 'sha256' | 'etag' | 'size';
  downloadedAt: string;
}

export interface DownloadResult extends DownloadMeta {
  path: string;
  /** Bytes that came from a resumed (Range) transfer. */
  resumedBytes: number;
  attempts: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * GET with node:http(s), following redirects (the Hub's `resolve` redirects to a CDN; credentials are not sent to
 * another host). node:http rather than fetch: a cut connection still delivers every byte that arrived, which the
 * resume needs (a WHATWG stream drops its queue on error).
 */
function httpGet(url: string, headers: Record<string, string>, redirects = 5): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const get = target.protocol === 'https:' ? https.get : target.protocol === 'http:' ? http.get : undefined;
    if (!get) return reject(new DataError(`unsupported URL scheme (only http and https)`, { file: url }));
    const req = get(target, { headers }, (res) => {
      const location = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
        res.resume();
        if (redirects === 0) return reject(new DataError('download failed: too many redirects', { file: url }));
        const next = new URL(location, target);
        const { Authorization: _auth, ...rest } = headers;
        resolve(httpGet(next.href, next.origin === target.origin ? headers : rest, redirects - 1));
        return;
      }
      resolve(res);
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('no data for 60 s')));
  });
}

/**
 * Write a response body chunk by chunk, so whatever arrived before a cut is on disk for the resume. Listeners
 * are attached synchronously (call this before any other await, or early chunks and the close are missed).
 */
function appendBody(body: http.IncomingMessage, file: string, append: boolean): Promise<void> {
  const opened = fs.open(file, append ? 'a' : 'w');
  let writing: Promise<unknown> = opened;
  const done = new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown) => {
      if (!failed) reject(err);
      failed = true;
    };
    body.on('data', (chunk: Buffer) => {
      writing = writing.then(() => opened.then((h) => h.write(chunk)));
      writing.catch(fail);
    });
    body.on('error', () => {}); // a cut shows as 'close' with complete === false
    body.on('close', () => {
      writing.then(() => (body.complete ? resolve() : fail(new Error('connection closed before the end of the body'))), fail);
    });
  });
  return done.finally(async () => (await opened).close());
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export function metaPath(target: string): string {
  return `${target}.meta.json`;
}

/**
 * The sidecar of a finished download, if the file and its sidecar are both there and agree on the size. An
 * unreadable sidecar counts as none (the file is fetched again): the cache repairs itself.
 */
export async function readDownloadMeta(target: string): Promise<DownloadMeta | undefined> {
  const meta = await readJsonIfExists<DownloadMeta>(metaPath(target)).catch((err: unknown) => {
    if (err instanceof DataError) return undefined;
    throw err;
  });
  if (meta === undefined || meta === null || typeof meta.size !== 'number') return undefined;
  return (await fileSize(target)) === meta.size ? meta : undefined;
}

function normaliseEtag(raw: string | null): string | undefined {
  if (!raw) return undefined;
  return raw.replace(/^W\//, '').replace(/^"|"$/g, '');
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return 0;
  }
}

export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const { url, target } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const partial = `${target}.partial`;
  const partialInfo = `${target}.partial.json`;
  const log = options.log ?? (() => {});
  const expectedSha = options.sha256?.toLowerCase();
  if (expectedSha !== undefined && !SHA256_HEX.test(expectedSha)) {
    throw new ClassItError(`sha256 for ${url} must be 64 hex digits, got '${options.sha256}'`);
  }

  // A partial file from an earlier run of the same URL is resumed; one from another URL (or without a readable
  // record of its URL) is discarded.
  let etag: string | undefined;
  const info = await readJsonIfExists<{ url?: unknown; etag?: string }>(partialInfo).catch(() => undefined);
  if (info?.url === url) etag = info.etag;
  else await fs.rm(partial, { force: true });

  let resumedBytes = 0;
  let attempts = 0;
  let lastError: unknown;
  let freshRetryDone = false;
  while (attempts < maxAttempts) {
    attempts++;
    const have = await fileSize(partial);
    const headers: Record<string, string> = { ...options.headers };
    if (have > 0) {
      headers.Range = `bytes=${have}-`;
      if (etag) headers['If-Range'] = `"${etag}"`;
    }
    let response: http.IncomingMessage;
    try {
      response = await httpGet(url, headers);
    } catch (err) {
      if (err instanceof DataError) throw err; // not a network failure: a retry would not help
      lastError = err;
      log(`download ${url}: ${(err as Error).message}; retrying (${attempts}/${maxAttempts})`);
      continue;
    }
    const status = response.statusCode ?? 0;
    if (status === 416 && have > 0) {
      // Our partial is as long as (or longer than) the file: verify it below, or restart on mismatch.
      response.resume();
    } else if (status !== 200 && status !== 206) {
      response.resume();
      const message = `HTTP ${status} ${response.statusMessage ?? ''}`.trim();
      if (status >= 500 || status === 408 || status === 429) {
        lastError = new Error(message);
        log(`download ${url}: ${message}; retrying (${attempts}/${maxAttempts})`);
        continue;
      }
      throw new DataError(`download failed: ${message}` + (status === 401 || status === 403 ? ' (a gated or private file? set HF_TOKEN)' : ''), { file: url });
    } else {
      const header = (name: string) => { const v = response.headers[name]; return Array.isArray(v) ? v[0] : v; };
      const responseEtag = normaliseEtag(header('x-linked-etag') ?? header('etag') ?? null);
      let append = false;
      if (status === 206) {
        const start = Number(/bytes (\d+)-/.exec(header('content-range') ?? '')?.[1]);
        append = start === have;
        if (!append) {
          response.resume();
          await fs.rm(partial, { force: true });
          lastError = new Error(`server answered a range from byte ${start}, expected ${have}`);
          continue;
        }
        resumedBytes += Number(header('content-length') ?? 0);
        log(`download ${url}: resuming at byte ${have}`);
      }
      const receiving = appendBody(response, partial, append);
      receiving.catch(() => {}); // awaited below, after the partial info is written
      etag = responseEtag ?? etag;
      const declared = header('content-length');
      const before = append ? have : 0;
      try {
        await writeJsonAtomic(partialInfo, { url, etag });
        await receiving;
      } catch (err) {
        lastError = err;
        log(`download ${url}: transfer interrupted (${(err as Error).message}); will resume (${attempts}/${maxAttempts})`);
        continue;
      }
      if (declared !== undefined && (await fileSize(partial)) - before < Number(declared)) {
        lastError = new Error('connection closed before the whole body arrived');
        log(`download ${url}: transfer cut short; will resume (${attempts}/${maxAttempts})`);
        continue;
      }
    }

    const size = await fileSize(partial);
    const actualSha = await sha256File(partial);
    const etagSha = etag && SHA256_HEX.test(etag.toLowerCase()) ? etag.toLowerCase() : undefined;
    const wantSha = expectedSha ?? etagSha;
    const problem =
      options.expectedSize !== undefined && size !== options.expectedSize ? `size ${size} bytes, expected ${options.expectedSize}`
      : wantSha !== undefined && actualSha !== wantSha ? `checksum mismatch: sha256 ${actualSha}, expected ${wantSha}`
      : undefined;
    if (problem) {
      await fs.rm(partial, { force: true });
      await fs.rm(partialInfo, { force: true });
      if (resumedBytes > 0 && !freshRetryDone) {
        // A resumed file may be spliced from two versions: try once more from zero before calling it corrupt.
        freshRetryDone = true;
        resumedBytes = 0;
        etag = undefined;
        log(`download ${url}: ${problem}; downloading again from the start`);
        continue;
      }
      throw new DataError(`corrupt download from ${url}: ${problem}; the file was discarded`, { file: target });
    }
    const meta: DownloadMeta = {
      url,
      sha256: actualSha,
      size,
      etag,
      verifiedBy: wantSha ? (expectedSha ? 'sha256' : 'etag') : 'size',
      downloadedAt: new Date().toISOString(),
    };
    await fs.rename(partial, target);
    await writeJsonAtomic(metaPath(target), meta);
    await fs.rm(partialInfo, { force: true });
    return { ...meta, path: target, resumedBytes, attempts };
  }
  throw new DataError(`download failed after ${maxAttempts} attempts: ${(lastError as Error)?.message ?? 'unknown error'} ` +
    `(the partial file is kept at ${partial} and will be resumed next time)`, { file: url });
}
