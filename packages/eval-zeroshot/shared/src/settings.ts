/** Settings every zero-shot evaluator understands (from the experiment file or the CLI), validated. */
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@class-it/core';

export interface CommonSettings {
  /** Sequences per forward pass (the reference's `--batch_size 64`); scores never depend on it. */
  batchSize: number;
  /** Softmax temperature (reference default 1.0). */
  temperature: number;
  /** HTTP(S) URLs of the task's JSONL files, downloaded into `cacheDir` instead of reading `dataDir`. */
  urls: string[];
  cacheDir: string;
  /** Use only what `cacheDir` holds, never the network (also set by HF_HUB_OFFLINE=1). */
  offline: boolean;
}

export function defaultCacheDir(): string {
  return process.env.CLASS_IT_CACHE ? path.join(process.env.CLASS_IT_CACHE, 'eval-data') : path.join(os.homedir(), '.cache', 'class-it', 'eval-data');
}

export function positiveInteger(settings: Record<string, unknown>, key: string, fallback: number): number {
  const v = settings[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`expected a positive integer, got ${JSON.stringify(v)}`, { field: key });
  return v;
}

export function positiveNumber(settings: Record<string, unknown>, key: string, fallback: number): number {
  const v = settings[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ConfigError(`expected a positive number, got ${JSON.stringify(v)}`, { field: key });
  return v;
}

export function optionalString(settings: Record<string, unknown>, key: string): string | undefined {
  const v = settings[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new ConfigError(`expected a non-empty string, got ${JSON.stringify(v)}`, { field: key });
  return v;
}

function urlList(settings: Record<string, unknown>): string[] {
  const v = settings.urls ?? settings.url;
  if (v === undefined) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((u) => typeof u !== 'string')) throw new ConfigError('expected a URL or a list of URLs', { field: 'urls' });
  for (const u of list as string[]) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new ConfigError(`not a URL: ${u}`, { field: 'urls' });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`only http(s) URLs are supported: ${u}`, { field: 'urls' });
  }
  return list as string[];
}

function optionalBoolean(settings: Record<string, unknown>, key: string): boolean {
  const v = settings[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ConfigError(`expected true or false, got ${JSON.stringify(v)}`, { field: key });
  return v;
}

const COMMON_KEYS = ['batchSize', 'temperature', 'urls', 'url', 'cacheDir', 'offline'];

/** The settings every zero-shot evaluator understands; a key that is neither one of them nor in `extraKeys` (the
 *  evaluator's own) is a ConfigError, so a misspelt `--set batchsize=8` never passes silently. */
export function commonSettings(settings: Record<string, unknown>, extraKeys: readonly string[] = []): CommonSettings {
  const known = [...COMMON_KEYS, ...extraKeys];
  const unknown = Object.keys(settings).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new ConfigError(`unknown setting (known: ${known.join(', ')})`, { field: unknown });
  return {
    batchSize: positiveInteger(settings, 'batchSize', 64),
    temperature: positiveNumber(settings, 'temperature', 1),
    urls: urlList(settings),
    cacheDir: optionalString(settings, 'cacheDir') ?? defaultCacheDir(),
    offline: optionalBoolean(settings, 'offline'),
  };
}
