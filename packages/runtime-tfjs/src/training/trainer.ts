/**
 * `TfjsTrainer`: the training loop behind core's `Trainer` contract.
 *
 * One optimizer step = `gradAccumulation` micro-batches of `batchSize` rows; the loss of a step is
 * Σ w_i·CE_i / Σ w_i over all its rows, so accumulation gives the same update as one big batch. Then: global
 * norm, NaN/Inf guard, clipping, AdamW at the scheduled learning rate, words-seen and metrics, eval, milestone
 * and periodic checkpoints. Every step is a pure function of (weights, moments, step index), so a run resumed
 * from its newest checkpoint (`checkpoints/step-<N>/`, see checkpoint-state.ts) ends with the same weights and
 * the same metrics.jsonl as an uninterrupted one.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import {
  ClassItError,
  ConfigError,
  appendJsonLine,
  deriveIndexedSeed,
  milestoneName,
  syncFile,
  writeFileAtomic,
  type Trainer,
  type TrainableModel,
  type TrainerSettings,
  type TrainingContext,
  type TrainingSequence,
  type TrainingStageData,
  type TrainingSummary,
} from '@class-it/core';
import { causalModuleOf, type CausalLMModule } from '../causal-lm.js';
import { AdamW, clipByGlobalNorm, globalNorm } from './adamw.js';
import { buildRows, rowWeight, validateSequences, type Row } from './batching.js';
import { batchTensors, disposeBatch, weightedLoss } from './loss.js';
import { MicroBatchGradients } from './micro-batch-gradients.js';
import { buildPlan, lastOptimizerReset, locateStep, planFingerprint, validateSettings, type TrainingPlan } from './plan.js';
import { planLearningRate } from './schedule.js';
import { CHECKPOINTS_DIR, TRAIN_STATE_FILE, checkpointDirName, readLatestCheckpoint, writeCheckpoint, type TrainState } from './checkpoint-state.js';
import { accumulateGradients } from './accumulate.js';

export class TfjsTrainer implements Trainer {
  async train(model: TrainableModel, stages: TrainingStageData[], settings: TrainerSettings, context: TrainingContext): Promise<TrainingSummary> {
    validateSettings(settings);
    const module = causalModuleOf(model);
    if (settings.sequenceLength > module.contextLength) {
      throw new ConfigError(`sequenceLength ${settings.sequenceLength} exceeds the model's context length ${module.contextLength}`, { field: 'sequenceLength' });
    }
    for (const stage of stages) validateSequences(stage.sequences, module.vocabSize, `stage '${stage.name}' sequence`);
    if (context.evalSequences) validateSequences(context.evalSequences, module.vocabSize, 'eval sequence');
    const plan = buildPlan(stages, settings);
    if (plan.totalSteps === 0) throw new ConfigError('nothing to train: every stage is empty');
    return new TrainingRun(model, module, plan, stages, settings, context).run();
  }
}

/** One call of `train`: the state of the loop. */
class TrainingRun {
  private readonly optimizer: AdamW;
  private readonly microBatchGradients: MicroBatchGradients;
  private readonly varKeyByTfName = new Map<string, string>();
  private readonly evalRows: Row[];
  private readonly metricsPath: string;
  private state: TrainState;
  private resumedFromStep = 0;
  private lastCheckpointStep = 0;
  private tokensThisRun = 0;
  private secondsThisRun = 0;

  constructor(
    private readonly model: TrainableModel,
    private readonly module: CausalLMModule,
    private readonly plan: TrainingPlan,
    stages: TrainingStageData[],
    private readonly settings: TrainerSettings,
    private readonly context: TrainingContext,
  ) {
    for (const [key, v] of module.variables) this.varKeyByTfName.set(v.name, key);
    this.optimizer = new AdamW(module.variables, settings, (name) => !module.noWeightDecay(name));
    this.microBatchGradients = new MicroBatchGradients(module);
    this.evalRows = buildRows(context.evalSequences ?? [], settings.sequenceLength, false);
    this.metricsPath = path.join(context.outDir, 'metrics.jsonl');
    this.state = {
      version: 1,
      step: 0,
      totalSteps: plan.totalSteps,
      stageIndex: plan.stages[0]!.index,
      stageName: plan.stages[0]!.name,
      epoch: 0,
      stepInStage: 0,
      wordsSeenThisRun: 0,
      wordsSeenBefore: context.wordsSeenBefore,
      tokens: 0,
      lastLoss: Number.NaN,
      learningRate: 0,
      rng: { seed: settings.seed, dropoutSeeds: 'deriveIndexedSeed(deriveIndexedSeed(seed, step), microBatch)' },
      schedule: plan.segments,
      milestonesSaved: [],
      fingerprint: planFingerprint(stages, settings),
      backend: tf.getBackend(),
    };
  }

  async run(): Promise<TrainingSummary> {
    const { context, plan, settings } = this;
    try {
      await this.resume();
      if (settings.dropout !== undefined) {
        const setter = (this.module as { setDropout?: (rate: number) => void }).setDropout;
        if (setter) setter.call(this.module, settings.dropout);
        else context.log(`note: this ${this.module.architecture} module has no setDropout; dropout comes from its config`);
      }
      context.log(`training ${plan.totalSteps} steps in ${plan.stages.length} stage(s) on ${tf.getBackend()}` +
        (this.resumedFromStep ? `, resuming at step ${this.resumedFromStep}` : ''));
      let evalLoss: number | undefined;
      while (this.state.step < plan.totalSteps) {
        const record = await this.trainStep();
        const step = this.state.step;
        if (step % settings.evalEverySteps === 0 || step === plan.totalSteps) {
          evalLoss = this.evaluate();
          if (evalLoss !== undefined) record.eval_loss = evalLoss;
        }
        await appendJsonLine(this.metricsPath, record);
        context.onProgress?.({ stage: String(record.stage), step, totalSteps: plan.totalSteps, loss: this.state.lastLoss, learningRate: this.state.learningRate });
        await this.saveMilestones();
        if (step % settings.checkpointEverySteps === 0 || step === plan.totalSteps) await this.checkpoint();
      }
      if (evalLoss === undefined) evalLoss = this.evaluate();
      const finalDir = path.join(context.outDir, 'final');
      await this.model.save(finalDir);
      context.log(`final model saved to ${finalDir}`);
      return {
        steps: this.state.step,
        tokens: this.state.tokens,
        wordsSeen: this.state.wordsSeenBefore + this.state.wordsSeenThisRun,
        finalLoss: this.state.lastLoss,
        evalLoss,
        tokensPerSecond: this.secondsThisRun > 0 ? this.tokensThisRun / this.secondsThisRun : 0,
        backend: tf.getBackend(),
        finalDir,
        milestoneDirs: this.state.milestonesSaved.map((w) => path.join(context.outDir, milestoneName(w))),
        resumedFromStep: this.resumedFromStep,
      };
    } finally {
      this.optimizer.dispose();
    }
  }

  /** Continue from the newest complete checkpoint when there is one: weights, moments, position and counters. */
  private async resume(): Promise<void> {
    const checkpointsDir = path.join(this.context.outDir, CHECKPOINTS_DIR);
    const saved = await readLatestCheckpoint(checkpointsDir);
    if (!saved) return truncateMetrics(this.metricsPath, 0); // starting over: lines of an earlier start would repeat
    const { dir, state, tensors } = saved;
    const statePath = path.join(dir, TRAIN_STATE_FILE);
    const mismatch = describeMismatch(state.fingerprint, this.state.fingerprint);
    if (mismatch) {
      throw new ConfigError(`the checkpoint in ${dir} was written by a different training run (${mismatch}); ` +
        `use a new output directory, or delete ${checkpointsDir} to start over`, { file: statePath });
    }
    for (const [key, variable] of this.module.variables) {
      const data = tensors.get(`param/${key}`);
      if (!data || data.length !== variable.size) throw new ClassItError(`checkpoint has no (or a wrongly sized) tensor for '${key}'`, { file: dir });
      tf.tidy(() => variable.assign(tf.tensor(data, variable.shape, variable.dtype)));
    }
    const prefixed = (prefix: string) => new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    // AdamW's own step counts the updates since its moments last started from zero (bias corrections).
    this.optimizer.load(prefixed('adam_m/'), prefixed('adam_v/'), state.step - lastOptimizerReset(this.plan, state.step, this.settings.optimizerBetweenStages));
    this.state = { ...state, wordsSeenBefore: this.context.wordsSeenBefore, backend: tf.getBackend() };
    this.resumedFromStep = state.step;
    await truncateMetrics(this.metricsPath, state.step);
  }

  /** One optimizer step; returns its metrics record. */
  private async trainStep(): Promise<Record<string, number | string>> {
    const { settings, plan } = this;
    const step = this.state.step;
    const where = locateStep(plan, step);
    if (settings.optimizerBetweenStages === 'reset' && where.stepInStage === 0 && step > 0) this.optimizer.reset();
    const rows = where.microBatches.flat();
    const normaliser = rows.reduce((sum, r) => sum + rowWeight(r), 0);
    const started = performance.now();
    const grads = new Map<string, tf.Tensor>();
    let loss = 0;
    let tokens = 0;
    const stepSeed = deriveIndexedSeed(settings.seed, step);
    for (const [micro, microRows] of where.microBatches.entries()) {
      const batch = batchTensors(microRows, normaliser);
      tokens += batch.tokens;
      const { value, grads: microGrads } = this.microBatchGradients.compute(batch, deriveIndexedSeed(stepSeed, micro));
      disposeBatch(batch);
      loss += (await value.data())[0]!;
      value.dispose();
      accumulateGradients(grads, microGrads, this.varKeyByTfName);
    }
    const gradNorm = globalNorm(grads.values());
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      tf.dispose([...grads.values()]);
      const good = this.resumedOrSavedStep();
      const kept = good > 0 ? `The last good checkpoint (step ${good}) is kept in ${path.join(this.context.outDir, CHECKPOINTS_DIR, checkpointDirName(good))}` : 'No checkpoint had been written yet';
      throw new ClassItError(`training stopped at step ${step + 1} (stage '${where.stage.name}'): loss ${loss}, gradient norm ${gradNorm} ` +
        `is not finite. ${kept}; try a lower learning rate or gradient clipping`);
    }
    clipByGlobalNorm(grads, gradNorm, settings.gradClip);
    const lr = planLearningRate(step, plan.segments, settings);
    this.optimizer.apply(grads, lr);
    tf.dispose([...grads.values()]);
    const seconds = (performance.now() - started) / 1000;

    const words = rows.reduce((sum, r) => sum + r.words, 0);
    this.tokensThisRun += tokens;
    this.secondsThisRun += seconds;
    const next = step + 1 < plan.totalSteps ? locateStep(plan, step + 1) : where;
    this.state = {
      ...this.state,
      step: step + 1,
      stageIndex: next.stage.index,
      stageName: next.stage.name,
      epoch: next === where ? where.epoch : next.epoch,
      stepInStage: next === where ? where.stepInStage + 1 : next.stepInStage,
      wordsSeenThisRun: this.state.wordsSeenThisRun + words,
      tokens: this.state.tokens + tokens,
      lastLoss: loss,
      learningRate: lr,
    };
    return {
      step: step + 1,
      stage: where.stage.name,
      epoch: where.epoch,
      loss,
      lr,
      grad_norm: gradNorm,
      tokens,
      tokens_per_s: seconds > 0 ? tokens / seconds : 0,
      words_seen: this.state.wordsSeenBefore + this.state.wordsSeenThisRun,
    };
  }

  private resumedOrSavedStep(): number {
    return Math.max(this.lastCheckpointStep, this.resumedFromStep);
  }

  /** Σ w·CE / Σ w over the eval sequences, without dropout; undefined when there are none. */
  private evaluate(): number | undefined {
    return evaluationLoss(this.module, this.evalRows, this.settings.batchSize);
  }

  private async saveMilestones(): Promise<void> {
    const seen = this.state.wordsSeenBefore + this.state.wordsSeenThisRun;
    for (const words of [...this.settings.milestoneWords].sort((a, b) => a - b)) {
      if (words > seen || this.state.milestonesSaved.includes(words)) continue;
      // Only milestones crossed during this plan: those at or below the words seen before it were saved earlier.
      if (words <= this.state.wordsSeenBefore) continue;
      const dir = path.join(this.context.outDir, milestoneName(words));
      await this.model.save(dir);
      this.state = { ...this.state, milestonesSaved: [...this.state.milestonesSaved, words] };
      this.context.log(`milestone ${milestoneName(words)}: ${seen} words seen at step ${this.state.step}, saved to ${dir}`);
    }
  }

  private async checkpoint(): Promise<void> {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [key, v] of this.module.variables) tensors.set(`param/${key}`, { shape: v.shape, data: v.dataSync() as Float32Array });
    const moments = this.optimizer.exportMoments();
    for (const [key, { shape, m }] of moments) tensors.set(`adam_m/${key}`, { shape, data: m });
    for (const [key, { shape, v }] of moments) tensors.set(`adam_v/${key}`, { shape, data: v });
    await syncFile(this.metricsPath); // the metrics up to this step last at least as long as the checkpoint
    const dir = await writeCheckpoint(path.join(this.context.outDir, CHECKPOINTS_DIR), this.model, this.state, tensors);
    this.lastCheckpointStep = this.state.step;
    this.context.log(`checkpoint at step ${this.state.step} saved to ${dir}`);
  }
}

/** Σ w·CE / Σ w over rows (no dropout), `batchSize` rows per forward pass. Undefined for no rows or no weight. */
export function evaluationLoss(module: CausalLMModule, rows: Row[], batchSize: number): number | undefined {
  let total = 0;
  let weight = 0;
  for (let i = 0; i < rows.length; i += batchSize) {
    const chunk = rows.slice(i, i + batchSize);
    const w = chunk.reduce((sum, r) => sum + rowWeight(r), 0);
    if (w === 0) continue;
    const batch = batchTensors(chunk, 1);
    const sum = tf.tidy(() => weightedLoss(module, batch, false));
    disposeBatch(batch);
    total += sum.dataSync()[0]!;
    sum.dispose();
    weight += w;
  }
  return weight > 0 ? total / weight : undefined;
}

/** Eval loss of sequences (convenience for callers outside the loop). */
export function sequencesLoss(module: CausalLMModule, sequences: TrainingSequence[], sequenceLength: number, batchSize: number): number | undefined {
  return evaluationLoss(module, buildRows(sequences, sequenceLength, false), batchSize);
}

/**
 * Keep only the metrics of steps up to `step`, one line per step in step order: a resumed run rewrites what came
 * after its checkpoint, a torn last line is dropped, and of a step written twice (by an earlier restart) the later
 * line stays.
 */
async function truncateMetrics(file: string, step: number): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return;
  }
  const lineOfStep = new Map<number, string>();
  for (const line of text.split('\n')) {
    let lineStep: unknown;
    try {
      lineStep = (JSON.parse(line) as { step?: unknown }).step;
    } catch {
      continue;
    }
    if (typeof lineStep === 'number' && lineStep <= step) lineOfStep.set(lineStep, line);
  }
  const truncated = [...lineOfStep].sort(([a], [b]) => a - b).map(([, line]) => line + '\n').join('');
  if (truncated !== text) await writeFileAtomic(file, truncated);
}

function describeMismatch(saved: unknown, current: unknown): string | undefined {
  const a = JSON.stringify(saved);
  const b = JSON.stringify(current);
  if (a === b) return undefined;
  const sa = saved as { stages?: unknown[]; settings?: Record<string, unknown> };
  const sb = current as { stages?: unknown[]; settings?: Record<string, unknown> };
  const diffs: string[] = [];
  for (const key of new Set([...Object.keys(sa.settings ?? {}), ...Object.keys(sb.settings ?? {})])) {
    if (JSON.stringify(sa.settings?.[key]) !== JSON.stringify(sb.settings?.[key])) {
      diffs.push(`${key}: ${JSON.stringify(sa.settings?.[key])} then, ${JSON.stringify(sb.settings?.[key])} now`);
    }
  }
  if (JSON.stringify(sa.stages) !== JSON.stringify(sb.stages)) diffs.push('the training data differ');
  return diffs.join('; ') || 'the plan differs';
}
