/**
 * Pretraining corpora in BabyLM format: plain text files, one utterance (or line) per line. Inputs may be
 * files, directories (every regular file below, recursively, except hidden ones) or globs (`*`, `?`, `**`).
 * Words are counted by the ledger's one rule (`ledger/words.ts`).
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { ClassItError } from '@class-it/core';

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

/** The non-empty lines of the corpus files, in file order (trailing whitespace and `\r` removed). */
export async function readCorpusLines(files: string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8');
    if (text.includes('\u0000')) throw new ClassItError('looks like a binary file, not a text corpus', { file });
    for (const raw of text.split('\n')) {
      const line = raw.replace(/\s+$/, '');
      if (line.trim() !== '') lines.push(line);
    }
  }
  return lines;
}
