/** `class-it run <exp> --queue redis://...` after validation: record the run directory, then enqueue its jobs. */
import type { LoadedConfig } from '../config/load.js';
import type { Experiment } from '../config/experiment.js';
import type { ValidatedExperiment } from '../run/validate.js';
import { RunDir } from '../run/run-dir.js';
import { prepareRunDir } from '../run/grid-steps.js';
import { checkReachable, type RedisTarget } from './connection.js';
import { JobQueues } from './queues.js';
import { enqueueRun, type EnqueueResult } from './enqueue.js';
import { queuedRun, type GpuStep, type QueuedRun } from './jobs.js';

export interface SubmitOptions {
  target: RedisTarget;
  gpuSteps: GpuStep[];
  attempts: number;
}

export async function submitExperiment(loaded: LoadedConfig<Experiment>, validated: ValidatedExperiment, options: SubmitOptions): Promise<EnqueueResult & { run: QueuedRun }> {
  await checkReachable(options.target);
  const run = queuedRun(loaded.value, loaded.baseDir, validated, options);
  // The run directory is the experiment's, as for a run on this machine (a different version there is refused).
  await prepareRunDir(loaded.value, new RunDir(run.runDir), false);
  const queues = new JobQueues(options.target);
  try {
    return { ...(await enqueueRun(queues, run)), run };
  } finally {
    await queues.close();
  }
}
