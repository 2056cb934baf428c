/** TEST HELPER: an `EvaluationContext` around any `LanguageModel` (the model is not trainable; evaluators
 *  only use the `LanguageModel` part of it). */
import type { EvaluationContext, LanguageModel, TrainableModel } from '@class-it/core';

export function testContext(fields: {
  task: string;
  model: LanguageModel;
  dataDir: string;
  outDir: string;
  fast?: boolean;
  settings?: Record<string, unknown>;
  log?: (line: string) => void;
}): EvaluationContext {
  const model = fields.model as LanguageModel & Partial<TrainableModel>;
  return {
    task: fields.task,
    model: model as TrainableModel,
    dataDir: fields.dataDir,
    outDir: fields.outDir,
    fast: fields.fast ?? true,
    settings: fields.settings ?? {},
    log: fields.log ?? (() => {}),
  };
}
