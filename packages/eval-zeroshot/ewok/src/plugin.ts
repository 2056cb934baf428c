import { definePlugin } from '@class-it/core';
import { EwokEvaluator } from './evaluator.js';

export default definePlugin({
  kind: 'evaluator',
  name: 'ewok',
  description: 'BabyLM 2025 EWoK (task ewok): log P(target | context) ranking, accuracy per domain, macro mean',
  useClass: EwokEvaluator,
});
