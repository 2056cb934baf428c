/**
 * Putting an experiment's jobs on the queue (see `jobs.ts` for the shape of the flow): the report with the jobs
 * that wait for nothing as its children, then, from the workers, the jobs each finished step releases.
 */
import type { FlowJob, FlowJobNode, JobsOptions } from 'bullmq';
import type { JobQueues } from './queues.js';
import { KEY_PREFIX } from './queues.js';
import { firstJobs, jobId, QUEUE_NAME, releasedBy, type JobStep, type PlannedJob, type QueuedRun } from './jobs.js';

/** First retry after 10 s, then 20 s, 40 s, ... */
const BACKOFF = { type: 'exponential', delay: 10_000 } as const;

const REPORT: JobStep = { kind: 'report' };

function jobOptions(run: QueuedRun, id: string): JobsOptions {
  // Finished jobs stay in Redis: `class-it status` reads them, and their ids keep a second enqueue from adding them.
  return { jobId: id, attempts: run.attempts, backoff: BACKOFF, removeOnComplete: false, removeOnFail: false };
}

/** A job as a child of a flow: its parent runs even when it fails (the failure is recorded where it belongs). */
function child(run: QueuedRun, job: PlannedJob, children: FlowJobNode[] = []): FlowJobNode {
  return {
    name: job.name, queueName: job.queue, data: job.data,
    opts: { ...jobOptions(run, job.id), ignoreDependencyOnFailure: true },
    ...(children.length > 0 ? { children } : {}),
  } as FlowJobNode;
}

/** Jobs that run one after another, as a flow: each the parent of the one before it (the last one is the root). */
function chain(run: QueuedRun, jobs: PlannedJob[]): FlowJobNode {
  let node: FlowJobNode | undefined;
  for (const job of jobs) node = child(run, job, node ? [node] : []);
  return node!;
}

export interface EnqueueResult {
  reportId: string;
  /** Whether anything was added (false: the experiment was queued, or done, already). */
  added: boolean;
  /** The report job's state when it existed already. */
  existingState?: string;
  /** Jobs added now. */
  jobs: number;
}

/** Enqueue a run: its report job, with the jobs that wait for nothing as its children. Adds nothing if it is queued. */
export async function enqueueRun(queues: JobQueues, run: QueuedRun): Promise<EnqueueResult> {
  const reportId = jobId(run, REPORT);
  const existing = await queues.job(QUEUE_NAME, reportId);
  if (existing) return { reportId, added: false, existingState: await existing.getState(), jobs: 0 };
  const first = firstJobs(run);
  const flow: FlowJob = {
    name: 'report', queueName: QUEUE_NAME, data: { run, step: REPORT }, opts: jobOptions(run, reportId),
    children: first.map((j) => child(run, j)),
  } as FlowJob;
  await queues.flow.add(flow);
  return { reportId, added: true, jobs: first.length + 1 };
}

/**
 * Once `step` is done: add the jobs it released as children of the report (after a tune, the cell's evaluations
 * and record as one chain). Their ids are deterministic, so a step done twice (a job handed to another worker)
 * adds them once.
 */
export async function addDependents(queues: JobQueues, run: QueuedRun, step: JobStep): Promise<number> {
  const released = releasedBy(run, step);
  if (released.length === 0) return 0;
  const parent = { id: jobId(run, REPORT), queue: `${KEY_PREFIX}:${QUEUE_NAME}` };
  const underReport = (node: FlowJobNode): FlowJob => ({ ...node, opts: { ...node.opts, parent } }) as FlowJob;
  const flows = step.kind === 'tune' ? [underReport(chain(run, released))] : released.map((j) => underReport(child(run, j)));
  await queues.flow.addBulk(flows);
  return released.length;
}
