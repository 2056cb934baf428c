export { parseRedisUrl, checkReachable, type RedisTarget } from './connection.js';
export { JobQueues } from './queues.js';
export { planJobs, jobId, describeStep, queueName, parseGpuSteps, queuedRun, QUEUE_NAME, GPU_STEPS, type GpuStep, type JobStep, type JobData, type PlannedJob, type QueuedRun } from './jobs.js';
export { enqueueRun, addDependents, type EnqueueResult } from './enqueue.js';
export { runStatus, describeRunStatus, type JobState, type JobStatus, type RunStatus } from './status.js';
export { startWorker, type RunningWorker, type WorkerSettings } from './worker.js';
