/** EWoK: accuracy per domain (11), macro mean (spec §4). Reads a JSONL folder or the encrypted fast zip. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EvaluationCheck, EvaluationCheckRequest, EvaluationOutput, ZeroShotContext, ZeroShotEvaluator } from '@class-it/core';
import { ConfigError, DataError } from '@class-it/core';
import {
  commonSettings,
  missingTaskFiles,
  packageVersion,
  parseJsonlText,
  readJsonlFile,
  resolveTaskFiles,
  runRankingTask,
  sha256Hex,
  type DataIdentity,
  type RankingItem,
  type TaskLayout,
} from '@class-it/eval-zeroshot-shared';
import { ewokItem } from './items.js';
import { ewokPassword, readZipJsonl } from './zip-source.js';

export const EWOK_LAYOUT: TaskLayout = {
  name: 'EWoK',
  fast: ['fast_eval/ewok_fast', 'ewok/ewok_fast'],
  full: ['full_eval/ewok_filtered', 'ewok/ewok_filtered'],
};

/** Where the fast zip may be, relative to the data directory (or the data "directory" is the zip itself). */
const ZIP_CANDIDATES = ['ewok_fast.zip', 'fast_eval/ewok_fast.zip', 'evaluation_data/fast_eval/ewok_fast.zip', 'ewok/ewok_fast.zip'];

export function findEwokZip(dataDir: string): string | undefined {
  if (dataDir.endsWith('.zip') && existsSync(dataDir)) return dataDir;
  return ZIP_CANDIDATES.map((rel) => path.join(dataDir, rel)).find((p) => existsSync(p));
}

export interface EwokData {
  items: RankingItem[];
  identity: DataIdentity;
}

export async function loadEwokFiles(files: string[], fullSentenceScores = false, limit?: number): Promise<RankingItem[]> {
  const items: RankingItem[] = [];
  for (const file of files) for (const row of await readJsonlFile(file, limit)) items.push(ewokItem(row, file, fullSentenceScores));
  return items;
}

export async function loadEwokZip(zipPath: string, password: string, fullSentenceScores = false, limit?: number): Promise<EwokData> {
  const { bytes, entries } = await readZipJsonl(zipPath, password);
  const items: RankingItem[] = [];
  for (const e of entries) for (const row of parseJsonlText(e.text, e.name, limit)) items.push(ewokItem(row, e.name, fullSentenceScores));
  const identity: DataIdentity = {
    dir: path.resolve(path.dirname(zipPath)),
    archive: { name: path.basename(zipPath), sha256: sha256Hex(bytes), bytes: bytes.length },
    files: entries.map((e) => ({ name: e.entry, sha256: sha256Hex(e.text), bytes: Buffer.byteLength(e.text) })),
  };
  return { items, identity };
}

/** EWoK's own settings, besides the common ones. */
const EWOK_SETTINGS = ['fullSentenceScores', 'password'];

export class EwokEvaluator implements ZeroShotEvaluator {
  readonly name = 'ewok';
  readonly kind = 'zero-shot' as const;
  readonly tasks = ['ewok'];

  async validate(request: EvaluationCheckRequest): Promise<EvaluationCheck> {
    if (request.task !== 'ewok') throw new ConfigError(`the ewok evaluator does not serve task '${request.task}'`, { field: 'task' });
    const settings = commonSettings(request.settings, EWOK_SETTINGS);
    const missing = await missingTaskFiles(request.dataDir, EWOK_LAYOUT, request.fast, settings);
    // As `load`: without a JSONL folder, the fast set may be the encrypted zip, which then needs its password.
    const zip = missing.length > 0 && request.fast && settings.urls.length === 0 ? findEwokZip(request.dataDir) : undefined;
    if (!zip) return { missing };
    try {
      ewokPassword(request.settings);
      return { missing: [] };
    } catch (err) {
      if (request.settings.password !== undefined) throw err; // a bad setting, not missing data
      return { missing: [`${zip}: ${(err as Error).message}`] };
    }
  }

  async evaluate(context: ZeroShotContext): Promise<EvaluationOutput> {
    if (context.task !== 'ewok') throw new ConfigError(`the ewok evaluator does not serve task '${context.task}'`, { field: 'task' });
    const settings = commonSettings(context.settings, EWOK_SETTINGS);
    const fullSentenceScores = context.settings.fullSentenceScores === true;
    const data = await this.load(context, settings, fullSentenceScores);
    return runRankingTask({
      context,
      evaluatorName: this.name,
      evaluatorVersion: packageVersion(import.meta.url),
      settings,
      items: data.items,
      data: data.identity,
    });
  }

  private async load(context: ZeroShotContext, settings: ReturnType<typeof commonSettings>, fullSentenceScores: boolean): Promise<EwokData> {
    // A plain JSONL folder (full layout, or an unzipped fast set) wins; the encrypted fast zip is the fallback.
    try {
      const files = await resolveTaskFiles(context.dataDir, EWOK_LAYOUT, context.fast, settings);
      return { items: await loadEwokFiles(files.files, fullSentenceScores, context.limit), identity: files.identity };
    } catch (err) {
      const zip = context.fast ? findEwokZip(context.dataDir) : undefined;
      if (!zip || !(err instanceof DataError)) throw err;
      return loadEwokZip(zip, ewokPassword(context.settings), fullSentenceScores, context.limit);
    }
  }
}
