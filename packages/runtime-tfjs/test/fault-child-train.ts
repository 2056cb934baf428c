/**
 * Child process of checkpoint-faults.test.ts: trains the fault-test run (fault-training.ts) into `argv[2]`,
 * resuming from whatever checkpoint is there. Core's `crashPoint` variables decide where it is killed.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { trainFaultRun } from './fault-training.js';

await tf.setBackend('cpu');
const summary = await trainFaultRun(process.argv[2]!);
console.log(JSON.stringify({ resumedFromStep: summary.resumedFromStep, steps: summary.steps }));
