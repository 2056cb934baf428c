import { definePlugin } from '@class-it/core';
import { EntityTrackingEvaluator } from './evaluator.js';

export default definePlugin({
  kind: 'evaluator',
  name: 'entity-tracking',
  description: 'BabyLM 2025 entity tracking (task entity_tracking): 5-way ranking, mean over splits of mean over numops',
  useClass: EntityTrackingEvaluator,
});
