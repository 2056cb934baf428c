/**
 * What every zero-shot evaluator returns besides its `EvaluationResult`: the `details` block of results.json
 * (the runner adds the model and the timing when it writes the file).
 */
import type { EvaluationOutput, EvaluationResult, ZeroShotContext } from '@class-it/core';
import type { DataIdentity } from './data-identity.js';

export type ZeroShotDetails = {
  evaluatorVersion: string;
  /** Items per group (UID, domain, bucket), or rows. */
  counts: Record<string, number>;
  /** Which data produced the score. */
  data: DataIdentity;
  fast: boolean;
  /** The settings that can change the score (batch size is recorded to show it does not). */
  settings: Record<string, unknown>;
};

export function zeroShotOutput(context: ZeroShotContext, result: EvaluationResult, details: Omit<ZeroShotDetails, 'fast'>): EvaluationOutput {
  const full: ZeroShotDetails = { ...details, fast: context.fast };
  return { result, details: full };
}
