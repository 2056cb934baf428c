/** TEST HELPER: a `ZeroShotContext` around any `LanguageModel` (all a zero-shot evaluator may use). */
import type { LanguageModel, ZeroShotContext } from '@class-it/core';

export function testContext(fields: {
  task: string;
  model: LanguageModel;
  dataDir: string;
  outDir: string;
  fast?: boolean;
  settings?: Record<string, unknown>;
  log?: (line: string) => void;
}): ZeroShotContext {
  return {
    task: fields.task,
    model: fields.model,
    dataDir: fields.dataDir,
    outDir: fields.outDir,
    fast: fields.fast ?? true,
    settings: fields.settings ?? {},
    log: fields.log ?? (() => {}),
  };
}
