export { SuperGlueEvaluator, type ClassifierTrainerSource, type EpochEntry, type SuperGlueDetails, type TaskOutcome } from './evaluator.js';
export { TASKS, TASK_NAMES, ALL_TASKS, tasksFor, isTaskName, type TaskDefinition, type TaskName, type MetricName } from './tasks.js';
export { readTaskSplit, resolveTaskDir, exampleFromRow, splitFileName, type Split, type TaskSplit } from './data.js';
export { accuracy, f1Binary, matthewsCorrelation, computeMetrics, METRICS } from './metrics.js';
export { parseSettings, recipeOf, REFERENCE_RECIPE, FAST_PROFILE, type TaskSettings, type ParsedSettings } from './settings.js';
export { resultsTxt, predictionsJson, type PredictionsFile } from './reference-files.js';
export { default as superGluePlugin } from './plugin.js';
