/**
 * The EWoK fast set ships as a password-protected zip (`ewok_fast.zip`). It is decrypted IN MEMORY: the
 * plain JSONL text never touches the disk. The password comes from settings (`password`) or the environment
 * (`EWOK_ZIP_PASSWORD`); BabyLM publishes it in the evaluation-pipeline README.
 */
import { promises as fs } from 'node:fs';
import { ConfigError, DataError } from '@class-it/core';
import { configure, TextWriter, Uint8ArrayReader, ZipReader, type Entry, type FileEntry } from '@zip.js/zip.js';

configure({ useWebWorkers: false });

export const EWOK_PASSWORD_ENV = 'EWOK_ZIP_PASSWORD';

export interface ZipJsonlEntry {
  /** `<zip path>!<entry name>`, used in error messages. */
  name: string;
  entry: string;
  text: string;
}

export function ewokPassword(settings: Record<string, unknown>): string {
  const fromSettings = settings.password;
  if (fromSettings !== undefined && (typeof fromSettings !== 'string' || fromSettings === '')) {
    throw new ConfigError('expected a non-empty string', { field: 'password' });
  }
  const password = (fromSettings as string | undefined) ?? process.env[EWOK_PASSWORD_ENV];
  if (!password) {
    throw new ConfigError(
      `the EWoK fast zip is encrypted: give its password as the evaluator setting 'password' or the environment variable ${EWOK_PASSWORD_ENV} (it is in the babylm/evaluation-pipeline-2025 README)`,
      { field: 'password' },
    );
  }
  return password;
}

/** Decrypt every `*.jsonl` entry of `zipPath` into memory, sorted by entry name. */
export async function readZipJsonl(zipPath: string, password: string): Promise<{ bytes: Uint8Array; entries: ZipJsonlEntry[] }> {
  const bytes = new Uint8Array(await fs.readFile(zipPath));
  const reader = new ZipReader(new Uint8ArrayReader(bytes), { password });
  try {
    let all;
    try {
      all = await reader.getEntries();
    } catch (err) {
      throw new DataError(`not a readable zip archive (${(err as Error).message})`, { file: zipPath }, { cause: err });
    }
    const jsonl = all.filter((e: Entry): e is FileEntry => !e.directory && e.filename.endsWith('.jsonl')).sort((a, b) => (a.filename < b.filename ? -1 : 1));
    if (jsonl.length === 0) throw new DataError('the archive holds no *.jsonl files', { file: zipPath });
    const entries: ZipJsonlEntry[] = [];
    for (const e of jsonl) {
      let text: string;
      try {
        text = await e.getData(new TextWriter());
      } catch (err) {
        const message = (err as Error).message;
        if (/password/i.test(message)) throw new ConfigError(`wrong password for ${zipPath} (${message})`, { field: 'password' });
        throw new DataError(`cannot extract ${e.filename} (${message})`, { file: zipPath }, { cause: err });
      }
      entries.push({ name: `${zipPath}!${e.filename}`, entry: e.filename, text });
    }
    return { bytes, entries };
  } finally {
    await reader.close();
  }
}
