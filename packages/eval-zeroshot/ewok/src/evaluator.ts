/**
 * EWoK: accuracy per domain (11), macro mean (spec §4). Which set is read:
 *   fast: false  the full set (`ewok_filtered/*.jsonl`, built locally from the gated HF data by the reference's
 *                `dl_and_filter`) when present; without it, the fast set, logged and recorded (`details.fast: true`);
 *   fast: true   the fast set: an unzipped JSONL folder (`ewok_fast/`), else the encrypted `ewok_fast.zip`.
 */
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
    if (request.fast || settings.urls.length > 0) return { missing: await this.missingFast(request, settings) };
    // As `load`: the full set when present, else the fast one.
    const missingFull = await missingTaskFiles(request.dataDir, EWOK_LAYOUT, false, settings);
    if (missingFull.length === 0) return { missing: [] };
    const missingFast = await this.missingFast(request, settings);
    return { missing: missingFast.length === 0 ? [] : [...missingFull, ...missingFast] };
  }

  /** What the fast set lacks: its JSONL folder, else the encrypted zip, which then needs its password. */
  private async missingFast(request: EvaluationCheckRequest, settings: ReturnType<typeof commonSettings>): Promise<string[]> {
    const missing = await missingTaskFiles(request.dataDir, EWOK_LAYOUT, true, settings);
    const zip = missing.length > 0 && settings.urls.length === 0 ? findEwokZip(request.dataDir) : undefined;
    if (!zip) return missing;
    try {
      ewokPassword(request.settings);
      return [];
    } catch (err) {
      if (request.settings.password !== undefined) throw err; // a bad setting, not missing data
      return [`${zip}: ${(err as Error).message}`];
    }
  }

  async evaluate(context: ZeroShotContext): Promise<EvaluationOutput> {
    if (context.task !== 'ewok') throw new ConfigError(`the ewok evaluator does not serve task '${context.task}'`, { field: 'task' });
    const settings = commonSettings(context.settings, EWOK_SETTINGS);
    const fullSentenceScores = context.settings.fullSentenceScores === true;
    const { fast, ...data } = await this.load(context, settings, fullSentenceScores);
    return runRankingTask({
      context: fast === context.fast ? context : { ...context, fast },
      evaluatorName: this.name,
      evaluatorVersion: packageVersion(import.meta.url),
      settings,
      items: data.items,
      data: data.identity,
    });
  }

  /** The items and which set they are (`fast`): see the file comment. */
  private async load(context: ZeroShotContext, settings: ReturnType<typeof commonSettings>, fullSentenceScores: boolean): Promise<EwokData & { fast: boolean }> {
    if (settings.urls.length > 0) {
      const files = await resolveTaskFiles(context.dataDir, EWOK_LAYOUT, context.fast, settings);
      return { items: await loadEwokFiles(files.files, fullSentenceScores, context.limit), identity: files.identity, fast: context.fast };
    }
    if (context.fast) return { ...(await this.loadFast(context, settings, fullSentenceScores)), fast: true };
    let noFull: DataError;
    try {
      const files = await resolveTaskFiles(context.dataDir, EWOK_LAYOUT, false, settings);
      return { items: await loadEwokFiles(files.files, fullSentenceScores, context.limit), identity: files.identity, fast: false };
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      noFull = err;
    }
    let data: EwokData;
    try {
      data = await this.loadFast(context, settings, fullSentenceScores);
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      throw new DataError(`${noFull.message}; nor the fast set to fall back on: ${err.message}`, {}, { cause: err });
    }
    context.log(`ewok: ${noFull.message}: the full set (ewok_filtered/, built from the gated HF data) is absent, so the FAST set is evaluated`);
    return { ...data, fast: true };
  }

  /** The fast set: a plain JSONL folder (an unzipped `ewok_fast/`) wins; the encrypted zip is the fallback. */
  private async loadFast(context: ZeroShotContext, settings: ReturnType<typeof commonSettings>, fullSentenceScores: boolean): Promise<EwokData> {
    try {
      const files = await resolveTaskFiles(context.dataDir, EWOK_LAYOUT, true, settings);
      return { items: await loadEwokFiles(files.files, fullSentenceScores, context.limit), identity: files.identity };
    } catch (err) {
      const zip = findEwokZip(context.dataDir);
      if (!zip || !(err instanceof DataError)) throw err;
      return loadEwokZip(zip, ewokPassword(context.settings), fullSentenceScores, context.limit);
    }
  }
}
