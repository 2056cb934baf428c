/**
 * Pretraining corpora in BabyLM format: plain text files, one utterance (or line) per line. Inputs may be
 * files, directories (every regular file below, recursively, except hidden ones) or globs (`*`, `?`, `**`).
 * Words are counted by the ledger's one rule (`ledger/words.ts`).
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { ClassItError, DataError } from '@class-it/core';
import { hubDatasetFiles, parseHubUri, readParquetRows, readTextLineBatches } from '@class-it/data-sources';
import { countWords } from '@class-it/instruct';

function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** A glob as a regular expression over '/'-separated paths: `**` crosses directories, `*` and `?` do not. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i += 1;
      if (glob[i + 1] === '/') {
        i += 1;
        re += '(?:.*/)?';
      } else {
        re += '.*';
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Expand files, directories and globs into a sorted, de-duplicated list of files. */
export async function resolveCorpusFiles(inputs: string[], cwd = process.cwd()): Promise<string[]> {
  const files = new Set<string>();
  for (const input of inputs) {
    const abs = path.resolve(cwd, input);
    if (isGlob(input)) {
      const parts = abs.split(path.sep);
      const firstGlob = parts.findIndex(isGlob);
      const base = parts.slice(0, firstGlob).join(path.sep) || path.sep;
      const re = globToRegExp(parts.slice(firstGlob).join('/'));
      let candidates: string[] = [];
      try {
        candidates = await walk(base);
      } catch {
        candidates = [];
      }
      const matched = candidates.filter((f) => re.test(path.relative(base, f).split(path.sep).join('/')));
      if (matched.length === 0) throw new ClassItError(`corpus pattern '${input}' matches no file`);
      matched.forEach((f) => files.add(f));
      continue;
    }
    let stat;
    try {
      stat = await fs.stat(abs);
    } catch {
      throw new ClassItError(`corpus file or directory '${input}' does not exist`, { file: abs });
    }
    if (stat.isDirectory()) {
      const inside = await walk(abs);
      if (inside.length === 0) throw new ClassItError(`corpus directory '${input}' holds no files`, { file: abs });
      inside.forEach((f) => files.add(f));
    } else {
      files.add(abs);
    }
  }
  return [...files].sort();
}

/**
 * The non-empty lines of the corpus files, in file order (trailing whitespace and `\r` removed), streamed. A line
 * that is not UTF-8, holds a NUL byte (a binary file) or is longer than `maxLineBytes` stops the read with a
 * DataError naming the file and line.
 */
export async function readCorpusLines(files: string[], options: { maxLineBytes?: number } = {}): Promise<string[]> {
  const lines: string[] = [];
  for (const file of files) {
    for await (const batch of readTextLineBatches(file, options)) {
      for (const l of batch) {
        if (l.error) throw l.error;
        if (l.text.includes('\u0000')) throw new DataError('holds a NUL byte: looks like a binary file, not a text corpus', { file, line: l.line });
        const line = l.text.replace(/\s+$/, '');
        if (line.trim() !== '') lines.push(line);
      }
    }
  }
  return lines;
}

/**
 * A remote corpus: `hf://datasets/<owner>/<name>/<config>`, the parquet files of that config's `train` split, one
 * corpus line per line of each row's `text` column. Its form is checked offline (`parseHubUri`); it is downloaded
 * (resumable, checksum-verified, into the download cache) only when pretraining starts.
 */
export function isRemoteCorpus(input: string): boolean {
  return input.startsWith('hf://');
}

/** Check a remote corpus address without the network: throws a ClassItError saying the expected form. */
export function checkRemoteCorpus(input: string): void {
  if (!input.startsWith('hf://datasets/')) throw new ClassItError(`'${input}' is not a Hub dataset address: expected hf://datasets/<owner>/<name>/<config>`);
  parseHubUri(input);
}

export interface CorpusSourceOptions {
  /** Local paths and globs resolve against it. */
  cwd?: string;
  /** Download cache of remote corpora. */
  cacheDir: string;
  offline?: boolean;
  log?: (line: string) => void;
}

/** The lines of a remote corpus: each row's `text` column, split into lines (trailing whitespace removed, empty ones dropped). */
async function readRemoteCorpusLines(input: string, options: CorpusSourceOptions): Promise<{ files: string[]; lines: string[] }> {
  checkRemoteCorpus(input);
  const files = await hubDatasetFiles(input, 'train', { cacheDir: options.cacheDir, offline: options.offline, log: options.log });
  const lines: string[] = [];
  for (const file of files) {
    for await (const row of readParquetRows(file, { columns: ['text'] })) {
      const text = row.value.text;
      if (typeof text !== 'string') throw new DataError(`expected a string, got ${typeof text}`, { file, line: row.row, field: 'text' });
      for (const l of text.split('\n')) {
        const line = l.replace(/\s+$/, '');
        if (line.trim() !== '') lines.push(line);
      }
    }
  }
  return { files, lines };
}

/** Every line of the corpus inputs (local files, directories, globs, remote corpora), in order. */
export async function loadCorpus(inputs: string[], options: CorpusSourceOptions): Promise<{ files: string[]; lines: string[] }> {
  const files: string[] = [];
  const lines: string[] = [];
  for (const input of inputs) {
    const part = isRemoteCorpus(input)
      ? await readRemoteCorpusLines(input, options)
      : await (async () => { const f = await resolveCorpusFiles([input], options.cwd); return { files: f, lines: await readCorpusLines(f) }; })();
    files.push(...part.files);
    for (const l of part.lines) lines.push(l);
  }
  return { files, lines };
}

/**
 * The corpus capped at `maxWords` (BabyLM words, `countWords`): its lines in order, up to and excluding the first
 * line that would take the total over the cap. Deterministic (no sampling), so every model and rerun pretrains on
 * the same text, and the count is an upper bound known before the corpus is read.
 */
export function capCorpusWords(lines: string[], maxWords: number | undefined): string[] {
  if (maxWords === undefined) return lines;
  let words = 0;
  for (let i = 0; i < lines.length; i++) {
    words += countWords(lines[i]!);
    if (words > maxWords) return lines.slice(0, i);
  }
  return lines;
}
