export { TfjsClassifierTrainer, pooledHidden, seededPermutation, splitByTokens, defaultMicroBatchTokens, type FineTuneResult } from './trainer.js';
export { ClassificationHead, layerNormNoAffine, geluErf, HEAD_PREFIX } from './head.js';
export { pairTemplateOf, truncateLongestFirst, encodeExample, padBatch, padIdOf, type PairTemplate, type PaddedBatch } from './pair-encoding.js';
export { classifierSchedule, classifierTotalSteps, classifierWarmupSteps, referenceLrFactor, type ClassifierSchedule } from './schedule.js';
export { readClassifierState, STATE_FILE as CLASSIFIER_STATE_FILE, type ClassifierState } from './state.js';
