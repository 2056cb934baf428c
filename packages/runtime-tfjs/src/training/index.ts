export { TfjsTrainer, evaluationLoss, sequencesLoss } from './trainer.js';
export { AdamW, globalNorm, clipByGlobalNorm, type AdamWSettings } from './adamw.js';
export { learningRateAt, planLearningRate, scheduleSegments, warmupStepsFor, type ScheduleSegment, type ScheduleSettings } from './schedule.js';
export { buildRows, makeRow, rowStarts, validateSequences, type Row } from './batching.js';
export { tokenCrossEntropy, weightedLoss, batchTensors, disposeBatch, type BatchTensors } from './loss.js';
export { buildPlan, locateStep, validateSettings, type TrainingPlan, type StagePlan } from './plan.js';
export {
  CHECKPOINTS_DIR, checkpointDirName, readCheckpoint, readLatestCheckpoint, writeCheckpoint, TRAIN_STATE_FILE, TRAIN_TENSORS_FILE,
  type SavedCheckpoint, type TrainState,
} from './checkpoint-state.js';
export { MicroBatchGradients, type MicroBatchResult } from './micro-batch-gradients.js';
