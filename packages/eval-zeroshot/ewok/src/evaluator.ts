/** EWoK: accuracy per domain (11), macro mean (spec §4). Reads a JSONL folder or the encrypted fast zip. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EvaluationContext, EvaluationResult, Evaluator } from '@class-it/core';
import { ConfigError, DataError } from '@class-it/core';
import {
  commonSettings,
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

export async function loadEwokFiles(files: string[], fullSentenceScores = false): Promise<RankingItem[]> {
  const items: RankingItem[] = [];
  for (const file of files) for (const row of await readJsonlFile(file)) items.push(ewokItem(row, file, fullSentenceScores));
  return items;
}

export async function loadEwokZip(zipPath: string, password: string, fullSentenceScores = false): Promise<EwokData> {
  const { bytes, entries } = await readZipJsonl(zipPath, password);
  const items: RankingItem[] = [];
  for (const e of entries) for (const row of parseJsonlText(e.text, e.name)) items.push(ewokItem(row, e.name, fullSentenceScores));
  const identity: DataIdentity = {
    dir: path.resolve(path.dirname(zipPath)),
    archive: { name: path.basename(zipPath), sha256: sha256Hex(bytes), bytes: bytes.length },
    files: entries.map((e) => ({ name: e.entry, sha256: sha256Hex(e.text), bytes: Buffer.byteLength(e.text) })),
  };
  return { items, identity };
}

export class EwokEvaluator implements Evaluator {
  readonly name = 'ewok';
  readonly kind = 'zero-shot' as const;
  readonly tasks = ['ewok'];

  async evaluate(context: EvaluationContext): Promise<EvaluationResult> {
    if (context.task !== 'ewok') throw new ConfigError(`the ewok evaluator does not serve task '${context.task}'`, { field: 'task' });
    const settings = commonSettings(context.settings);
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

  private async load(context: EvaluationContext, settings: ReturnType<typeof commonSettings>, fullSentenceScores: boolean): Promise<EwokData> {
    // A plain JSONL folder (full layout, or an unzipped fast set) wins; the encrypted fast zip is the fallback.
    try {
      const files = await resolveTaskFiles(context.dataDir, EWOK_LAYOUT, context.fast, settings);
      return { items: await loadEwokFiles(files.files, fullSentenceScores), identity: files.identity };
    } catch (err) {
      const zip = context.fast ? findEwokZip(context.dataDir) : undefined;
      if (!zip || !(err instanceof DataError)) throw err;
      return loadEwokZip(zip, ewokPassword(context.settings), fullSentenceScores);
    }
  }
}
