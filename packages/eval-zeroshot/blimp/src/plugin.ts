import { definePlugin } from '@class-it/core';
import { BlimpEvaluator } from './evaluator.js';

export default definePlugin({
  kind: 'evaluator',
  name: 'blimp',
  description: 'BabyLM 2025 BLiMP and BLiMP supplement (tasks blimp, blimp_supplement): accuracy per paradigm, macro mean',
  useClass: BlimpEvaluator,
});
