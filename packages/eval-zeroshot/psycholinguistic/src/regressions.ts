/**
 * The reading regressions of the reference (`reading/run.py`, spec §8.3). Terms `a:b` are products.
 *   eye tracking:  dv ~ S + L + C + S:L + S:C + L:C            (+ pred)
 *   spill-over:    dv ~ S + L + C + P + Q + all 10 pairwise products (+ pred)
 * with S = Subtlex_log10, L = length, C = context_length, P = prev_length, Q = prev_pred. Rows with a missing
 * value in the model's columns are dropped (pandas `dropna`). Score = (R²_model − R²_base)/(1 − R²_base) × 100.
 */
import { fitOls } from './ols.js';
import { MEASURES } from './reading-data.js';

export type Table = Array<Record<string, number>>;

const S = 'Subtlex_log10';
const L = 'length';
const C = 'context_length';
const P = 'prev_length';
const Q = 'prev_pred';

/** Terms in the formula order of the reference. */
export const ET_TERMS = [S, L, C, `${S}:${L}`, `${S}:${C}`, `${L}:${C}`];
export const SPILLOVER_TERMS = [S, L, C, P, Q, `${S}:${L}`, `${S}:${C}`, `${S}:${P}`, `${S}:${Q}`, `${L}:${C}`, `${L}:${P}`, `${L}:${Q}`, `${C}:${P}`, `${C}:${Q}`, `${P}:${Q}`];

function termValue(row: Record<string, number>, term: string): number {
  return term.split(':').reduce((prod, name) => prod * (row[name] ?? NaN), 1);
}

export interface Regression {
  rsquared: number;
  aic: number;
  nobs: number;
  /** Coefficient, t and p of `pred` (model fits only). */
  pred?: { coef: number; t: number; p: number };
}

/** Fit `dv ~ terms (+ pred)` on the rows where every variable involved is present. */
export function regress(table: Table, dv: string, terms: string[], withPred: boolean): Regression {
  const allTerms = withPred ? [...terms, 'pred'] : terms;
  const variables = [...new Set([dv, ...allTerms.flatMap((t) => t.split(':'))])];
  const rows = table.filter((r) => variables.every((v) => !Number.isNaN(r[v] ?? NaN)));
  const fit = fitOls(
    rows.map((r) => r[dv]!),
    allTerms.map((t) => rows.map((r) => termValue(r, t))),
  );
  const last = allTerms.length - 1;
  return {
    rsquared: fit.rsquared,
    aic: fit.aic,
    nobs: fit.nobs,
    pred: withPred ? { coef: fit.params[last + 1]!, t: fit.tvalues[last]!, p: fit.pvalues[last]! } : undefined,
  };
}

/** A line of `predictive_power*.jsonl`, keys as the reference writes them. */
export interface PredictivePower {
  'Predicted variable': string;
  Coefficient: number;
  'Number of standard deviations': number;
  'P-value': number;
  R2: number;
  'Change in R2 from baseline': number;
  AIC: number;
  'Change in AIC from baseline': number;
}

export function normalisedGain(base: Regression, model: Regression): number {
  return ((model.rsquared - base.rsquared) / (1 - base.rsquared)) * 100;
}

export interface ReadingScores {
  eyeTracking: number;
  /** ET score of each RT measure. */
  eyeTrackingMeasures: Record<string, number>;
  selfPacedReading: number;
  predictivePower: PredictivePower[];
  predictivePowerSpillover: PredictivePower[];
}

function powerLine(dv: string, base: Regression, model: Regression): PredictivePower {
  return {
    'Predicted variable': dv,
    Coefficient: model.pred!.coef,
    'Number of standard deviations': model.pred!.t,
    'P-value': model.pred!.p,
    R2: model.rsquared,
    'Change in R2 from baseline': model.rsquared - base.rsquared,
    AIC: model.aic,
    'Change in AIC from baseline': model.aic - base.aic,
  };
}

/** Every regression of the reference over the 11 measures; `table` rows carry the CSV numbers plus
 *  `pred` (surprisal) and `prev_pred`. */
export function readingScores(table: Table): ReadingScores {
  const predictivePower: PredictivePower[] = [];
  const eyeTrackingMeasures: Record<string, number> = {};
  for (const dv of MEASURES) {
    const base = regress(table, dv, ET_TERMS, false);
    const model = regress(table, dv, ET_TERMS, true);
    predictivePower.push(powerLine(dv, base, model));
    if (dv.includes('RT')) eyeTrackingMeasures[dv] = normalisedGain(base, model);
  }
  const predictivePowerSpillover: PredictivePower[] = [];
  let selfPacedReading = NaN;
  for (const dv of MEASURES) {
    const base = regress(table, dv, SPILLOVER_TERMS, false);
    const model = regress(table, dv, SPILLOVER_TERMS, true);
    predictivePowerSpillover.push(powerLine(dv, base, model));
    if (dv.includes('self')) selfPacedReading = normalisedGain(base, model);
  }
  const et = Object.values(eyeTrackingMeasures);
  return {
    eyeTracking: et.reduce((a, b) => a + b, 0) / et.length,
    eyeTrackingMeasures,
    selfPacedReading,
    predictivePower,
    predictivePowerSpillover,
  };
}
