import { definePlugin } from '@class-it/core';
import { WugEvaluator } from './evaluator.js';

export default definePlugin({
  kind: 'evaluator',
  name: 'wugs',
  description: 'BabyLM 2025 WUG tasks (wug_adj, wug_past): Spearman rho of softmax P(first candidate) vs human ratios',
  useClass: WugEvaluator,
});
