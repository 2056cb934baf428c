import { TOKENS, definePlugin, type ClassifierTrainer } from '@class-it/core';
import { SuperGlueEvaluator } from './evaluator.js';

/** Registered under the evaluator token. The classifier trainer (provided by the runtime plugin under
 *  `TOKENS.ClassifierTrainer`) is looked up when the first task runs, so listing evaluators never needs a runtime. */
export default definePlugin({
  kind: 'evaluator',
  name: 'superglue',
  description: '(Super)GLUE fine-tuning (boolq, multirc, rte, wsc, mrpc, qqp, mnli; glue = all 7) with the BabyLM 2025 recipe',
  useFactory: (container) => new SuperGlueEvaluator(() => {
    if (!container.isRegistered(TOKENS.ClassifierTrainer, true)) {
      throw new Error('fine-tuning needs a classifier trainer: install a runtime plugin (npm install @class-it/runtime-tfjs)');
    }
    return container.resolve<ClassifierTrainer>(TOKENS.ClassifierTrainer);
  }),
});
