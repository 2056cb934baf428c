import { definePlugin } from '@class-it/core';
import { ReadingEvaluator } from './evaluator.js';

export default definePlugin({
  kind: 'evaluator',
  name: 'psycholinguistic',
  description: 'BabyLM 2025 reading (task reading): surprisal vs eye-tracking and self-paced reading times, OLS ΔR² scores',
  useClass: ReadingEvaluator,
});
