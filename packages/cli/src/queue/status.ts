/**
 * Where the jobs of an enqueued experiment stand (`class-it status --queue`): for every job of its plan, done /
 * running (on which worker) / waiting / failed (with the error, after how many attempts), or not queued yet (it is
 * added when the step it waits for is done).
 */
import type { Experiment } from '../config/experiment.js';
import { experimentHash } from '../run/grid-steps.js';
import type { JobQueues } from './queues.js';
import { describeStep, jobId, planJobs, QUEUE_NAME, type JobStep, type QueuedRun } from './jobs.js';

export type JobState = 'done' | 'running' | 'waiting' | 'failed' | 'not queued';

export interface JobStatus {
  id: string;
  step: JobStep;
  description: string;
  queue: string;
  state: JobState;
  /** The worker that runs it (running) or ran it last (done, failed). */
  worker?: string;
  attemptsMade?: number;
  attempts?: number;
  /** The last failure: the job failed for good (failed), or will be retried (waiting). */
  error?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface RunStatus {
  experiment: string;
  hash: string;
  /** False when the queue holds no job of this run (never enqueued). */
  queued: boolean;
  jobs: JobStatus[];
  counts: Record<JobState, number>;
}

function stateOf(bullState: string): JobState {
  switch (bullState) {
    case 'completed': return 'done';
    case 'active': return 'running';
    case 'failed': return 'failed';
    case 'unknown': return 'not queued';
    default: return 'waiting'; // waiting, waiting-children, delayed (a retry's backoff, or its unit was busy), prioritized
  }
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

export async function runStatus(queues: JobQueues, exp: Experiment): Promise<RunStatus> {
  const hash = experimentHash(exp);
  const counts: Record<JobState, number> = { done: 0, running: 0, waiting: 0, failed: 0, 'not queued': 0 };
  const report = await queues.job(QUEUE_NAME, jobId({ experiment: exp, hash }, { kind: 'report' }));
  if (!report) return { experiment: exp.name, hash, queued: false, jobs: [], counts };
  // The run as enqueued (skipped tasks, GPU routing) gives the whole plan, including jobs not added yet.
  const run: QueuedRun = report.data.run;
  const jobs: JobStatus[] = [];
  for (const planned of planJobs(run)) {
    const job = planned.id === report.id ? report : await queues.job(planned.queue, planned.id);
    const state = job ? stateOf(await job.getState()) : 'not queued';
    counts[state]++;
    jobs.push({
      id: planned.id, step: planned.data.step, description: describeStep(planned.data.step), queue: planned.queue, state,
      ...(job ? {
        worker: job.processedBy, attemptsMade: job.attemptsMade, attempts: job.opts.attempts ?? 1,
        error: job.failedReason || undefined, startedAt: iso(job.processedOn), finishedAt: iso(job.finishedOn),
      } : {}),
    });
  }
  return { experiment: exp.name, hash, queued: true, jobs, counts };
}

/** Who ran a job, since when, and its attempts when there was more than one. */
function detail(j: JobStatus): string {
  // BullMQ counts an attempt as made when it ends (done or failed); a running or waiting job is on its next one.
  const attempt = j.state === 'done' || j.state === 'failed' ? (j.attemptsMade ?? 0) : (j.attemptsMade ?? 0) + 1;
  const attempts = attempt > 1 ? ` (attempt ${attempt}/${j.attempts})` : '';
  if (j.state === 'running') return `on ${j.worker} since ${j.startedAt}${attempts}`;
  if ((j.state === 'done' || j.state === 'failed') && j.worker) return `by ${j.worker}${attempts}`;
  return attempts.trim();
}

/** The status as text: a summary line, then one line per job (errors indented below their job). */
export function describeRunStatus(status: RunStatus, where: string): string {
  if (!status.queued) return `experiment ${status.experiment} (${status.hash}) has no jobs on ${where}`;
  const c = status.counts;
  const lines = [`experiment ${status.experiment} (${status.hash}) on ${where}: ${c.done} done, ${c.running} running, ${c.waiting} waiting, ` +
    `${c.failed} failed, ${c['not queued']} not queued yet`];
  const width = Math.max(...status.jobs.map((j) => j.description.length));
  for (const j of status.jobs) {
    lines.push(`  ${j.state.padEnd(10)} ${j.description.padEnd(width)} ${detail(j)}`.trimEnd());
    if (j.error && j.state !== 'done') lines.push(`             ${j.state === 'failed' ? 'error' : 'last error'}: ${j.error}`);
  }
  return lines.join('\n');
}
