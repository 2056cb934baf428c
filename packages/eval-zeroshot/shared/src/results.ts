/**
 * Our `results.json`: the headline score, per-group scores and counts, which model and which data (files and
 * their sha256) produced it, and the backend. Written atomically next to the reference files.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic, type EvaluationResult, type ModelInfo } from '@class-it/core';

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

export interface ResultsFile extends EvaluationResult {
  evaluatorVersion: string;
  /** Items per group (UID, domain, bucket). */
  counts: Record<string, number>;
  model: ModelInfo;
  backend: string;
  data: DataIdentity;
  fast: boolean;
  settings: Record<string, unknown>;
  finishedAt: string;
  seconds: number;
}

export const RESULTS_FILE = 'results.json';

/** NaN/Infinity become null in JSON; the reference files keep them as tokens. */
export async function writeResultsJson(outDir: string, results: ResultsFile): Promise<string> {
  await writeJsonAtomic(path.join(outDir, RESULTS_FILE), results);
  return RESULTS_FILE;
}
