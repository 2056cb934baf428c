import 'reflect-metadata';

export * from './contracts/index.js';
export * from './plugins/define.js';
export * from './plugins/discovery.js';
export * from './plugins/registry.js';
export * from './util/errors.js';
export * from './util/atomic.js';
export * from './util/jsonl.js';
export { CORE_VERSION } from './version.js';
export * from './report/index.js';
export * from './config/load.js';
export * from './config/experiment.js';
export * from './run/run-dir.js';
export * from './run/runner.js';
export * from './run/evaluate.js';
export * from './run/load-model.js';
export * from './run/checkpoints.js';
export * from './util/progress.js';
export * from './pretrain/index.js';
// instruction tuning (data sources, formatting, curricula, words ledger, instruct job)
export * from './util/random.js';
export * from './data/index.js';
export * from './formatting/index.js';
export * from './curricula/index.js';
export * from './ledger/index.js';
export * from './instruct/index.js';
