/**
 * Hugging Face Hub datasets and models, downloaded into a local cache (models: `hubModelDir`, below).
 *
 * `hf://datasets/<owner>/<name>[@<revision>]/<config>` names the parquet files of one config and split. They are
 * found with the Hub's tree API and fetched from the Hub's `resolve` URL layout:
 *   GET {endpoint}/api/datasets/<repo>/tree/<revision>/<config>?recursive=true   → [{type, path, size, lfs: {oid, size}}]
 *   GET {endpoint}/datasets/<repo>/resolve/<revision>/<path>                     → the file (Range supported)
 * A file belongs to split `train` when its name starts with `train-` or `train.`, or it sits in a `train/` folder
 * (both layouts occur on the Hub). LFS files carry their SHA-256 (`lfs.oid`), which every download is checked
 * against. The endpoint is `HF_ENDPOINT` or https://huggingface.co; `HF_TOKEN` is sent when set.
 *
 * Cache layout: <cacheDir>/hub/datasets/<owner>--<name>/<revision>/<path>, plus one manifest per config and split,
 * so offline mode (`offline: true` or HF_HUB_OFFLINE=1) knows which files make up a config without the network.
 * Every listed path goes through `resolveInside` (safe-path.ts): a listing that names `../x`, an absolute path,
 * a backslash or a NUL is refused before anything is written.
 *
 * Files at explicit URLs (datasets' `url`, evaluation data) are cached under <cacheDir>/urls/ by `cachedUrlFile`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ClassItError, DataError, readJsonIfExists, writeJsonAtomic } from '@class-it/core';
import { downloadFile, metaPath, readDownloadMeta } from './download.js';
import { resolveInside } from './safe-path.js';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** Remote data that is neither in the cache nor reachable now (offline mode, or no network): a caller may plan
 *  without it (a dry run) where it could not train without it. */
export class SourceUnavailableError extends ClassItError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, {}, options);
    this.name = 'SourceUnavailableError';
  }
}

export interface HubOptions {
  cacheDir: string;
  offline?: boolean;
  /** Base URL of the Hub; default `HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  token?: string;
  fetchImpl?: typeof fetch;
  log?: (line: string) => void;
}

export interface HubDatasetRef {
  repo: string;
  config: string;
  revision: string;
}

export interface HubFileEntry {
  path: string;
  size: number;
  /** SHA-256 of an LFS file (its `lfs.oid`). */
  sha256?: string;
  /** Git blob id (SHA-1 of `blob <size>\0<content>`) of a file kept in git itself (not LFS): config, tokenizer files. */
  gitOid?: string;
}

type TreeEntry = { type?: string; path?: string; size?: number; oid?: string; lfs?: { oid?: string; size?: number } };

/** A tree listing's file entry as we keep it: the LFS SHA-256 when there is one, else the git blob id. */
function fileEntry(e: TreeEntry): HubFileEntry {
  const gitOid = e.lfs === undefined && typeof e.oid === 'string' && /^[0-9a-f]{40}$/.test(e.oid) ? e.oid : undefined;
  return { path: e.path!, size: e.lfs?.size ?? e.size ?? 0, sha256: e.lfs?.oid, ...(gitOid ? { gitOid } : {}) };
}

/** Git's blob id of a file (what the Hub lists as `oid` for a file that is not in LFS). */
async function gitBlobId(file: string): Promise<string> {
  const content = await fs.readFile(file);
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function hubEndpoint(options: Pick<HubOptions, 'endpoint'>): string {
  return (options.endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
}

/** Offline when asked to, or when HF_HUB_OFFLINE is set (as in huggingface_hub): the environment wins. */
export function isOffline(options: Pick<HubOptions, 'offline'>): boolean {
  return options.offline === true || process.env.HF_HUB_OFFLINE === '1' || process.env.HF_HUB_OFFLINE === 'true';
}

/** Parse `hf://datasets/<owner>/<name>[@rev]/<config>`. */
export function parseHubUri(uri: string, revision?: string): HubDatasetRef {
  const m = /^hf:\/\/datasets\/([^/@]+\/[^/@]+)(?:@([^/]+))?\/([^/]+)\/?$/.exec(uri);
  if (!m) {
    throw new ClassItError(`'${uri}' is not a Hub dataset address: expected hf://datasets/<owner>/<name>/<config> ` +
      `(optionally <owner>/<name>@<revision>), e.g. hf://datasets/colinglab/CLASS_IT/switchboard`);
  }
  return { repo: m[1]!, revision: revision ?? (m[2] ? decodeURIComponent(m[2]) : 'main'), config: m[3]! };
}

export function belongsToSplit(filePath: string, split: string): boolean {
  if (!filePath.endsWith('.parquet')) return false;
  const base = path.posix.basename(filePath);
  const parent = path.posix.basename(path.posix.dirname(filePath));
  return base.startsWith(`${split}-`) || base === `${split}.parquet` || parent === split;
}

function repoDir(cacheDir: string, ref: HubDatasetRef): string {
  return path.join(cacheDir, 'hub', 'datasets', ref.repo.replace('/', '--'), ref.revision.replace(/[^A-Za-z0-9._-]/g, '_'));
}

function manifestPath(cacheDir: string, ref: HubDatasetRef, split: string): string {
  return resolveInside(repoDir(cacheDir, ref), `${ref.config}.${split}.manifest.json`, `hf://datasets/${ref.repo}/${ref.config} (split '${split}')`);
}

function authHeaders(options: HubOptions): Record<string, string> {
  const token = options.token ?? process.env.HF_TOKEN;
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** List the parquet files of a config's split with the tree API. */
export async function listHubParquetFiles(ref: HubDatasetRef, split: string, options: HubOptions): Promise<HubFileEntry[]> {
  const endpoint = hubEndpoint(options);
  const url = `${endpoint}/api/datasets/${ref.repo}/tree/${encodeURIComponent(ref.revision)}/${encodeURIComponent(ref.config)}?recursive=true`;
  let response: Response;
  try {
    response = await (options.fetchImpl ?? fetch)(url, { headers: authHeaders(options) });
  } catch (err) {
    throw new SourceUnavailableError(`cannot reach the Hub at ${endpoint} (${(err as Error).message}); ` +
      `if you are offline, download once with network access and then use offline mode`, { cause: err });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ClassItError(`Hub listing ${url} answered HTTP ${response.status}: is hf://datasets/${ref.repo}/${ref.config} ` +
      `(revision ${ref.revision}) right?`);
  }
  const entries = (await response.json()) as TreeEntry[];
  if (!Array.isArray(entries)) throw new ClassItError(`Hub listing ${url} did not return a JSON array`);
  const files = entries
    .filter((e) => e.type === 'file' && typeof e.path === 'string' && belongsToSplit(e.path, split))
    .map(fileEntry)
    .sort((a, b) => a.path.localeCompare(b.path));
  if (files.length === 0) {
    throw new ClassItError(`no parquet files for split '${split}' under ${ref.config}/ in dataset ${ref.repo} (revision ${ref.revision})`);
  }
  return files;
}

/** Local paths of a Hub config's parquet files, downloading what the cache lacks. */
export async function hubDatasetFiles(uri: string, split: string, options: HubOptions & { revision?: string }): Promise<string[]> {
  const ref = parseHubUri(uri, options.revision);
  const dir = repoDir(options.cacheDir, ref);
  const manifest = manifestPath(options.cacheDir, ref, split);
  if (isOffline(options)) {
    return cachedFiles(manifest, dir, uri, `offline mode: ${uri} (split '${split}', revision ${ref.revision}) is not in the cache ${options.cacheDir}; ` +
      `run once with network access (without --offline / HF_HUB_OFFLINE) to download it`);
  }
  const files = await listHubParquetFiles(ref, split, options);
  const resolveUrl = (p: string) => `${hubEndpoint(options)}/datasets/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${encodePath(p)}`;
  const paths = await syncHubFiles(dir, files, resolveUrl, `Hub listing of ${uri}`, options);
  await writeJsonAtomic(manifest, { uri, split, revision: ref.revision, files });
  return paths;
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/**
 * The local copies of listed Hub files under `dir`: each one whose verified copy is in the cache (same LFS SHA-256,
 * same git blob id for a file in git, else same size) is kept, the others are downloaded (resumable, checked against
 * the SHA-256 by download.ts, and against the git blob id here: a mismatch discards the file). Every
 * path goes through `resolveInside` before the first download, so a hostile listing writes nothing at all.
 * The one rule for Hub files, datasets' and models' alike.
 */
async function syncHubFiles(dir: string, files: HubFileEntry[], urlOf: (filePath: string) => string, source: string, options: HubOptions): Promise<string[]> {
  const locals = files.map((f) => resolveInside(dir, f.path, source));
  const paths: string[] = [];
  for (const [i, f] of files.entries()) {
    const local = locals[i]!;
    const meta = await readDownloadMeta(local);
    const fresh = meta && (f.sha256 ? meta.sha256 === f.sha256 : f.gitOid ? (await gitBlobId(local)) === f.gitOid : meta.size === f.size);
    if (!fresh) {
      await fs.mkdir(path.dirname(local), { recursive: true });
      const url = urlOf(f.path);
      options.log?.(`downloading ${url}`);
      await downloadFile({ url, target: local, sha256: f.sha256, expectedSize: f.size || undefined, headers: authHeaders(options), log: options.log });
      if (!f.sha256 && f.gitOid) {
        const got = await gitBlobId(local);
        if (got !== f.gitOid) {
          await fs.rm(local, { force: true });
          await fs.rm(metaPath(local), { force: true });
          throw new DataError(`corrupt download from ${url}: git blob id ${got}, expected ${f.gitOid}; the file was discarded`, { file: local });
        }
      }
    }
    paths.push(local);
  }
  return paths;
}

/** The cached files a manifest lists (offline mode); `notCached` is the message when there is no manifest. */
async function cachedFiles(manifest: string, dir: string, uri: string, notCached: string): Promise<string[]> {
  const record = await readJsonIfExists<{ files?: unknown }>(manifest);
  if (record === undefined) throw new SourceUnavailableError(notCached);
  const listed = record?.files;
  if (!Array.isArray(listed) || listed.some((f: { path?: unknown } | null) => typeof f?.path !== 'string')) {
    throw new DataError('expected a list of files with a string path', { file: manifest, field: 'files' });
  }
  const paths: string[] = [];
  for (const f of listed as HubFileEntry[]) {
    const local = resolveInside(dir, f.path, manifest);
    const meta = await readDownloadMeta(local);
    if (!meta) throw new ClassItError(`offline mode: cached file ${local} of ${uri} is missing or incomplete; run once online to repair the cache`);
    paths.push(local);
  }
  return paths;
}

/** A Hub model: `hf://<owner>/<name>[@<revision>]`. */
export interface HubModelRef {
  repo: string;
  revision: string;
}

/** Whether a model reference names a Hub model (`hf://...`) rather than a local directory. */
export function isHubModelUri(ref: string): boolean {
  return ref.startsWith('hf://');
}

const REPO_PART = '[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?';

/** Parse `hf://<owner>/<name>[@<revision>]` (a revision with `/` is URL-encoded: `@refs%2Fpr%2F1`). */
export function parseHubModelUri(uri: string): HubModelRef {
  const m = new RegExp(`^hf://(${REPO_PART}/${REPO_PART})(?:@([^/@\\s]+))?$`).exec(uri);
  const owner = m?.[1]?.split('/')[0];
  let revision = 'main';
  try {
    if (m?.[2]) revision = decodeURIComponent(m[2]);
  } catch {
    revision = '';
  }
  const badRevision = revision === '' || /[\0\\\s]/.test(revision) || revision.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (!m || owner === 'datasets' || owner === 'spaces' || badRevision) {
    throw new ClassItError(`'${uri}' is not a Hub model address: expected hf://<owner>/<name>, optionally @<revision> ` +
      `(e.g. hf://colinglab/CLASS_IT-140M or hf://colinglab/CLASS_IT-140M@main)`);
  }
  return { repo: m[1]!, revision };
}

/** The files of a model repository that make up a checkpoint folder: config, weights (sharded too), tokenizer,
 *  generation and chat-template files, at the top of the repository. */
export function isModelFolderFile(filePath: string): boolean {
  if (filePath.includes('/')) return false;
  return MODEL_FOLDER_FILES.has(filePath) || filePath.endsWith('.safetensors');
}

const MODEL_FOLDER_FILES = new Set([
  'config.json', 'generation_config.json', 'model.safetensors.index.json',
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'chat_template.json',
]);

function modelCachePaths(cacheDir: string, ref: HubModelRef): { dir: string; manifest: string } {
  const root = path.join(cacheDir, 'hub', 'models');
  const name = `${ref.repo.replace('/', '--')}/${ref.revision.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  const dir = resolveInside(root, name, `hf://${ref.repo}@${ref.revision}`);
  return { dir, manifest: `${dir}.manifest.json` };
}

/** List a model repository's checkpoint files with the tree API; every listed path is checked (`resolveInside`). */
export async function listHubModelFiles(ref: HubModelRef, options: HubOptions): Promise<HubFileEntry[]> {
  const endpoint = hubEndpoint(options);
  const uri = `hf://${ref.repo}@${ref.revision}`;
  const url = `${endpoint}/api/models/${ref.repo}/tree/${encodeURIComponent(ref.revision)}?recursive=true`;
  let response: Response;
  try {
    response = await (options.fetchImpl ?? fetch)(url, { headers: authHeaders(options) });
  } catch (err) {
    throw new SourceUnavailableError(`cannot reach the Hub at ${endpoint} (${(err as Error).message}); ` +
      `if you are offline, download ${uri} once with network access and then use offline mode`, { cause: err });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ClassItError(`Hub listing ${url} answered HTTP ${response.status}: is hf://${ref.repo} (revision ${ref.revision}) right?` +
      (response.status === 401 || response.status === 403 ? ' (a gated or private model? set HF_TOKEN)' : ''));
  }
  const entries = (await response.json()) as TreeEntry[];
  if (!Array.isArray(entries)) throw new ClassItError(`Hub listing ${url} did not return a JSON array`);
  const listed = entries.filter((e) => e.type === 'file' && typeof e.path === 'string');
  // A hostile listing is refused as a whole, even where the bad name is one we would not download.
  for (const e of listed) resolveInside(options.cacheDir, e.path!, url);
  const files = listed.filter((e) => isModelFolderFile(e.path!))
    .map(fileEntry)
    .sort((a, b) => a.path.localeCompare(b.path));
  const missing = [
    ...(files.some((f) => f.path === 'config.json') ? [] : ['config.json']),
    ...(files.some((f) => f.path.endsWith('.safetensors')) ? [] : ['*.safetensors']),
  ];
  if (missing.length > 0) {
    throw new ClassItError(`${uri} is not a checkpoint folder this project loads: its repository has no ${missing.join(' and no ')} at the top ` +
      '(only safetensors weights are read, not pytorch_model.bin)');
  }
  return files;
}

/**
 * The local checkpoint folder of a Hub model, downloading what the cache lacks: config, weights, tokenizer and
 * generation files (`isModelFolderFile`), each checked against its SHA-256 (LFS oid) or size, resumable.
 *   GET {endpoint}/api/models/<repo>/tree/<revision>?recursive=true   → the listing
 *   GET {endpoint}/<repo>/resolve/<revision>/<path>                    → a file
 * Cache: <cacheDir>/hub/models/<owner>--<name>/<revision>/ (the folder itself, loadable as it is) and
 * <revision>.manifest.json beside it, which offline mode (`offline` or HF_HUB_OFFLINE=1) reads instead of the listing.
 */
export async function hubModelDir(uri: string, options: HubOptions): Promise<string> {
  const ref = parseHubModelUri(uri);
  const { dir, manifest } = modelCachePaths(options.cacheDir, ref);
  if (isOffline(options)) {
    await cachedFiles(manifest, dir, uri, `offline mode: ${uri} (revision ${ref.revision}) is not in the cache ${options.cacheDir}; ` +
      `run once with network access (without --offline / HF_HUB_OFFLINE) to download it`);
    return dir;
  }
  const files = await listHubModelFiles(ref, options);
  const resolveUrl = (p: string) => `${hubEndpoint(options)}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${encodePath(p)}`;
  await syncHubFiles(dir, files, resolveUrl, `Hub listing of ${uri}`, options);
  await removeUnlisted(dir, files, options.log);
  await writeJsonAtomic(manifest, { uri, revision: ref.revision, files });
  return dir;
}

/** Remove checkpoint files a revision no longer lists (a branch that moved from one weights file to shards, say),
 *  so the cached folder holds exactly the listed checkpoint. */
async function removeUnlisted(dir: string, files: HubFileEntry[], log?: (line: string) => void): Promise<void> {
  const listed = new Set(files.map((f) => f.path));
  for (const name of await fs.readdir(dir)) {
    if (!isModelFolderFile(name) || listed.has(name)) continue;
    log?.(`removing ${path.join(dir, name)}: no longer in the model's listing`);
    await fs.rm(path.join(dir, name), { force: true });
    await fs.rm(metaPath(path.join(dir, name)), { force: true });
  }
}

/**
 * `<cacheDir>/urls/<first 16 hex of sha256(url)>/<file name of the URL, decoded>`: the file name survives (an
 * evaluation file's stem is its group name), and a name that would leave the cache is refused.
 */
export function urlCachePath(url: string, cacheDir: string): string {
  const raw = path.posix.basename(new URL(url).pathname);
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    name = raw;
  }
  const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return resolveInside(path.join(cacheDir, 'urls', key), name || 'download', url);
}

/** A file at an explicit URL, cached under <cacheDir>/urls/ (see `urlCachePath`), verified, resumable. */
export async function cachedUrlFile(url: string, options: HubOptions & { sha256?: string }): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ClassItError(`'${url}' is not a valid URL`);
  }
  const local = urlCachePath(url, options.cacheDir);
  const meta = await readDownloadMeta(local);
  if (meta && (!options.sha256 || meta.sha256 === options.sha256.toLowerCase())) return local;
  if (isOffline(options)) {
    throw new ClassItError(`offline mode: ${url} is not in the cache ${options.cacheDir}; run once with network access to download it`);
  }
  await fs.mkdir(path.dirname(local), { recursive: true });
  const sameHost = parsed.origin === new URL(hubEndpoint(options)).origin;
  await downloadFile({ url, target: local, sha256: options.sha256, headers: sameHost ? authHeaders(options) : {}, log: options.log });
  return local;
}
