/** The BullMQ objects one process uses on one Redis server: its queues (opened on first use) and a flow producer. */
import { FlowProducer, Job, Queue } from 'bullmq';
import { connectionOptions, type RedisTarget } from './connection.js';
import type { JobData } from './jobs.js';

/** BullMQ's key prefix: a parent is named to a child as `<prefix>:<queue>`. */
export const KEY_PREFIX = 'bull';

export class JobQueues {
  private readonly queues = new Map<string, Queue<JobData>>();
  private producer?: FlowProducer;

  constructor(readonly target: RedisTarget) {}

  queue(name: string): Queue<JobData> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue<JobData>(name, { connection: connectionOptions(this.target), prefix: KEY_PREFIX });
      this.queues.set(name, queue);
    }
    return queue;
  }

  get flow(): FlowProducer {
    this.producer ??= new FlowProducer({ connection: connectionOptions(this.target), prefix: KEY_PREFIX });
    return this.producer;
  }

  /** The job `id` of queue `name`, or undefined when there is none. */
  job(name: string, id: string): Promise<Job<JobData> | undefined> {
    return Job.fromId<JobData>(this.queue(name), id);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.producer?.close();
    this.queues.clear();
    this.producer = undefined;
  }
}
