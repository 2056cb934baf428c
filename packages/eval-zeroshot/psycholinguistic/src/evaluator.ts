/**
 * Psycholinguistic reading evaluation (task `reading`, spec §8): word surprisal from the model, then OLS
 * regressions of eye-tracking and self-paced-reading times. Score = eye-tracking score (mean ΔR²/(1−R²_base)
 * ×100 over 4 RT measures); the self-paced-reading score is in `extra`.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { EvaluationCheck, EvaluationCheckRequest, EvaluationOutput, EvaluationResult, ZeroShotContext, ZeroShotEvaluator } from '@class-it/core';
import { ConfigError, DataError } from '@class-it/core';
import { commonSettings, downloadEvalFile, identifyFiles, missingUrlFiles, packageVersion, zeroShotOutput, type DataIdentity } from '@class-it/eval-zeroshot-shared';
import { writeReadingFiles, type RowPrediction } from './outputs.js';
import { MEASURES, parseReadingCsv } from './reading-data.js';
import { readingScores } from './regressions.js';
import { pearsonPairwise } from './stats.js';
import { wordSurprisals } from './surprisal.js';

const CSV_NAME = 'reading_data.csv';
const CSV_CANDIDATES = [CSV_NAME, `fast_eval/reading/${CSV_NAME}`, `full_eval/reading/${CSV_NAME}`, `evaluation_data/fast_eval/reading/${CSV_NAME}`, `reading/${CSV_NAME}`];

/** The CSV: `dataDir` itself if it is a file, else the first candidate path under it. */
export function findReadingCsv(dataDir: string): string {
  if (dataDir.endsWith('.csv') && existsSync(dataDir)) return dataDir;
  const found = CSV_CANDIDATES.map((rel) => path.join(dataDir, rel)).find((p) => existsSync(p));
  if (!found) throw new DataError(`no reading data: looked for ${CSV_CANDIDATES.join(', ')}`, { file: dataDir });
  return found;
}

export class ReadingEvaluator implements ZeroShotEvaluator {
  readonly name = 'psycholinguistic';
  readonly kind = 'zero-shot' as const;
  readonly tasks = ['reading'];

  async validate(request: EvaluationCheckRequest): Promise<EvaluationCheck> {
    if (request.task !== 'reading') throw new ConfigError(`the psycholinguistic evaluator does not serve task '${request.task}'`, { field: 'task' });
    const settings = commonSettings(request.settings);
    if (settings.urls.length > 0) return { missing: await missingUrlFiles(settings) };
    try {
      findReadingCsv(request.dataDir);
      return { missing: [] };
    } catch (err) {
      return { missing: [(err as Error).message] };
    }
  }

  async evaluate(context: ZeroShotContext): Promise<EvaluationOutput> {
    if (context.task !== 'reading') throw new ConfigError(`the psycholinguistic evaluator does not serve task '${context.task}'`, { field: 'task' });
    // the regressions need every word of the file: a subset would give a different, meaningless score
    if (context.limit !== undefined) throw new ConfigError('the reading task cannot be limited to the first items (its regressions need the whole file)', { field: 'limit' });
    const settings = commonSettings(context.settings);
    let file: string;
    let identity: DataIdentity;
    if (settings.urls.length > 0) {
      file = await downloadEvalFile(settings.urls[0]!, settings);
      identity = { ...(await identifyFiles(path.dirname(file), [file])), urls: [settings.urls[0]!] };
    } else {
      file = findReadingCsv(context.dataDir);
      identity = await identifyFiles(path.dirname(file), [file]);
    }
    const rows = parseReadingCsv(await fs.readFile(file, 'utf8'), file);

    const queries = rows.flatMap((r) => [{ context: r.item, word: r.word }, ...(r.prevItem !== null ? [{ context: r.prevItem, word: r.prevWord! }] : [])]);
    context.log(`reading: surprisal of ${rows.length} words (+ previous words)`);
    const surprisals = await wordSurprisals(context.model, queries, { batchSize: settings.batchSize, onProgress: context.onProgress });
    const predictions: RowPrediction[] = [];
    let k = 0;
    for (const row of rows) {
      const pred = surprisals[k++]!;
      const prevPred = row.prevItem !== null ? surprisals[k++]! : NaN;
      predictions.push({ row, pred, prevPred });
    }

    const table = predictions.map(({ row, pred, prevPred }) => ({ ...row.values, pred, prev_pred: prevPred }));
    const pred = table.map((r) => r.pred);
    const correlations = MEASURES.map((m) => [m, pearsonPairwise(pred, table.map((r) => r[m]))] as [string, number]);
    const scores = readingScores(table);
    const files = await writeReadingFiles(context.outDir, predictions, correlations, scores);

    const result: EvaluationResult = {
      task: 'reading',
      evaluator: this.name,
      metric: 'eye_tracking',
      score: scores.eyeTracking,
      groups: scores.eyeTrackingMeasures,
      extra: { self_paced_reading: scores.selfPacedReading, ...Object.fromEntries(correlations.map(([m, r]) => [`correlation/${m}`, r])) },
      itemCount: rows.length,
      files,
    };
    context.log(`reading: eye tracking ${scores.eyeTracking.toFixed(2)}, self-paced reading ${scores.selfPacedReading.toFixed(2)}`);
    return zeroShotOutput(context, result, {
      evaluatorVersion: packageVersion(import.meta.url),
      counts: { rows: rows.length },
      data: identity,
      settings: { batchSize: settings.batchSize },
    });
  }
}
