/**
 * `TfjsClassifierTrainer`: (Super)GLUE fine-tuning behind core's `ClassifierTrainer` contract, with the BabyLM
 * 2025 recipe (spec §9.2-9.3): a COPY of the backbone weights plus the reference head, pooled at the first
 * token (or the last real one), AdamW on every parameter with weight decay on all, the LambdaLR cosine schedule,
 * seeded shuffling with drop_last, mean cross-entropy, no clipping. After each epoch it predicts the valid
 * split, asks `onEpoch` whether this epoch is the best, and saves its state so a killed run resumes there.
 *
 * The copy: the caller's module is never changed. A view object (`Object.create(module)`) with its own
 * `variables` map runs the module's forward on copied variables; architectures read their weights through
 * `this.variables` (the `CausalLMModule` contract), and a module that did not would get no gradients, which
 * fails loudly on the first step.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  ClassItError, ConfigError, deriveIndexedSeed, randomAtState, writeDirAtomic, writeJsonAtomic,
  type ClassificationExample, type ClassifierRecipe, type ClassifierRun, type ClassifierTrainer, type EpochReport,
  type TrainableModel,
} from '@class-it/core';
import { causalModuleOf, type CausalLMModule } from '../causal-lm.js';
import { AdamW } from '../training/adamw.js';
import { writeSafetensors } from '../safetensors/index.js';
import { ClassificationHead, HEAD_PREFIX } from './head.js';
import { encodeExample, padBatch, padIdOf, pairTemplateOf, type PaddedBatch } from './pair-encoding.js';
import { classifierSchedule, type ClassifierSchedule } from './schedule.js';
import { readClassifierState, readStateTensors, writeEpochState, type ClassifierState, type NamedTensors } from './state.js';
import { accumulateGradients } from '../training/accumulate.js';

export interface FineTuneResult {
  epochs: EpochReport[];
  resumedFromEpoch: number;
  examplesPerSecond: number;
}

/**
 * The backbone's hidden state at each row's pooled position, [batch, hidden]. With left padding, positions count
 * from each row's first real token, so a row pools the same vector whatever its batch neighbours (with right
 * padding the default positions 0..T-1 are already that). Call inside a tidy scope.
 */
export function pooledHidden(view: CausalLMModule, batch: PaddedBatch, paddingSide: 'right' | 'left', training: boolean, dropoutSeed: number): tf.Tensor2D {
  const ids = tf.tensor2d(batch.ids, [batch.batch, batch.time], 'int32');
  const attentionMask = tf.tensor2d(batch.mask, [batch.batch, batch.time], 'int32');
  const positionIds = paddingSide === 'left' ? tf.tensor2d(batch.positionIds, [batch.batch, batch.time], 'int32') : undefined;
  const { hidden } = view.forward(ids, { training, attentionMask, positionIds, dropoutSeed, hiddenOnly: true });
  const selectData = new Float32Array(batch.batch * batch.time);
  batch.poolIndex.forEach((t, row) => { selectData[row * batch.time + t] = 1; });
  const select = tf.tensor3d(selectData, [batch.batch, batch.time, 1]); // 1 at the pooled position
  return tf.sum(tf.mul(hidden, select), 1) as tf.Tensor2D;
}

export class TfjsClassifierTrainer implements ClassifierTrainer {
  async fineTune(model: TrainableModel, run: ClassifierRun): Promise<FineTuneResult> {
    const session = new FineTuneSession(model, run);
    try {
      return await session.execute();
    } finally {
      session.dispose();
    }
  }
}

/** A seeded permutation of 0..n-1: Fisher-Yates on core's mulberry32 stream started at state `seed`. */
export function seededPermutation(n: number, seed: number): number[] {
  return randomAtState(seed).shuffle(Array.from({ length: n }, (_, i) => i));
}

/**
 * Default bound on padded tokens per forward pass: 2^18 / hidden size (1,024 tokens for gpt-10m, whose training
 * forward holds about 1.2 GB of activations for that many on wasm, whose heap is limited to a few GB).
 */
export function defaultMicroBatchTokens(hiddenSize: number): number {
  return Math.max(64, Math.floor(2 ** 18 / hiddenSize));
}

/** Consecutive chunks of `rows` with (rows in chunk) x (longest in chunk) <= budget; at least one row each. */
export function splitByTokens(rows: number[], lengthOf: (row: number) => number, budget: number): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let longest = 0;
  for (const row of rows) {
    const len = lengthOf(row);
    const wouldBe = Math.max(longest, len) * (current.length + 1);
    if (current.length > 0 && wouldBe > budget) {
      chunks.push(current);
      current = [];
      longest = 0;
    }
    current.push(row);
    longest = Math.max(longest, len);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const SHUFFLE_SCHEME = 'seededPermutation(n, deriveIndexedSeed(seed, epoch))';
const DROPOUT_SCHEME = 'deriveIndexedSeed(deriveIndexedSeed(seed, 1 + step), 2 * microBatch (backbone) | 2 * microBatch + 1 (head))';

/** HF class names for config.json `architectures` of the saved backbone: those its config names, else the module's. */
function hfArchitecturesOf(module: CausalLMModule): string[] {
  const named = module.config.architectures;
  return Array.isArray(named) ? (named as string[]) : [...module.hfArchitectures];
}

function checkRun(run: ClassifierRun): void {
  const r = run.recipe;
  if (!Number.isInteger(run.numLabels) || run.numLabels < 2) throw new ConfigError(`numLabels must be an integer >= 2, got ${run.numLabels}`);
  for (const [split, examples] of [['train', run.train], ['valid', run.valid]] as const) {
    if (examples.length === 0) throw new ConfigError(`the ${split} split is empty`);
    examples.forEach((e, i) => {
      if (!Number.isInteger(e.label) || e.label < 0 || e.label >= run.numLabels) {
        throw new ConfigError(`${split} example ${i} has label ${e.label}, not in [0, ${run.numLabels - 1}]`);
      }
    });
  }
  if (Math.floor(run.train.length / r.batchSize) === 0) {
    throw new ConfigError(`${run.train.length} training examples make no full batch of ${r.batchSize} (drop_last)`, { field: 'batchSize' });
  }
}

class FineTuneSession {
  private readonly base: CausalLMModule;
  private readonly recipe: ClassifierRecipe;
  private readonly backbone = new Map<string, tf.Variable>();
  private readonly view: CausalLMModule;
  private readonly head: ClassificationHead;
  /** Variables that receive gradients (an untied LM head gets none and, as in torch, is left alone). */
  private readonly params = new Map<string, tf.Variable>();
  private readonly keyByTfName = new Map<string, string>();
  private optimizer?: AdamW;
  private readonly schedule: ClassifierSchedule;
  private readonly padId: number;
  private readonly maxLength: number;
  private readonly microBatchTokens: number;
  private trainIds: number[][] = [];
  private validIds: number[][] = [];

  constructor(private readonly model: TrainableModel, private readonly run: ClassifierRun) {
    checkRun(run);
    this.recipe = run.recipe;
    this.base = causalModuleOf(model);
    this.maxLength = Math.min(this.recipe.maxLength, this.base.contextLength);
    if (this.maxLength < this.recipe.maxLength) {
      run.log(`maxLength ${this.recipe.maxLength} exceeds the model's context (${this.base.contextLength}): using ${this.maxLength}`);
    }
    this.padId = padIdOf(model.tokenizer);
    this.microBatchTokens = this.recipe.microBatchTokens ?? defaultMicroBatchTokens(this.base.hiddenSize);
    this.schedule = classifierSchedule(run.train.length, this.recipe);
    for (const [name, v] of this.base.variables) this.backbone.set(name, tf.variable(v, true));
    this.view = Object.create(this.base, { variables: { value: this.backbone, enumerable: true } }) as CausalLMModule;
    this.head = new ClassificationHead(this.base.hiddenSize, run.numLabels, deriveIndexedSeed(this.recipe.seed, 1), this.recipe.dropout);
  }

  async execute(): Promise<FineTuneResult> {
    const { run, recipe, schedule } = this;
    const template = pairTemplateOf(this.model.tokenizer);
    const encode = (e: ClassificationExample) => encodeExample(this.model.tokenizer, template, e.textA, e.textB, this.maxLength);
    this.trainIds = run.train.map(encode).map((ids) => this.fedTokens(ids));
    this.validIds = run.valid.map(encode).map((ids) => this.fedTokens(ids));
    this.selectTrainableParams();
    const fingerprint = this.fingerprint();

    let state = await readClassifierState(run.stateDir);
    if (state && state.fingerprint !== fingerprint) {
      throw new ConfigError(`the fine-tuning state in ${run.stateDir} belongs to another run (other data, recipe or model); delete it to start over`,
        { file: path.join(run.stateDir, 'state.json') });
    }
    const resumedFromEpoch = state?.epochsDone ?? 0;
    if (state) await this.restore(state);
    run.log(`${resumedFromEpoch ? `resuming after epoch ${resumedFromEpoch}: ` : ''}${schedule.totalSteps} steps ` +
      `(${schedule.stepsPerEpoch}/epoch, warm-up ${schedule.warmupSteps}) on ${tf.getBackend()}, pooling ${recipe.pooling}, padding ${recipe.paddingSide}`);

    const reports: EpochReport[] = [];
    let examples = 0;
    let seconds = 0;
    let lastLog = performance.now();
    for (let epoch = resumedFromEpoch + 1; epoch <= recipe.epochs; epoch++) {
      const order = seededPermutation(run.train.length, deriveIndexedSeed(recipe.seed, epoch));
      let lossSum = 0;
      const started = performance.now();
      for (let b = 0; b < schedule.stepsPerEpoch; b++) {
        const rows = order.slice(b * recipe.batchSize, (b + 1) * recipe.batchSize);
        const step = (epoch - 1) * schedule.stepsPerEpoch + b;
        lossSum += this.trainStep(rows, step);
        if (performance.now() - lastLog > 60_000) {
          lastLog = performance.now();
          run.log(`epoch ${epoch}/${recipe.epochs}: step ${b + 1}/${schedule.stepsPerEpoch}, mean loss ${(lossSum / (b + 1)).toFixed(4)}`);
        }
      }
      seconds += (performance.now() - started) / 1000;
      examples += schedule.stepsPerEpoch * recipe.batchSize;
      const report: EpochReport = { epoch, trainLoss: lossSum / schedule.stepsPerEpoch, predictions: this.predict(this.validIds) };
      reports.push(report);
      const best = await run.onEpoch(report);
      state = await this.saveEpoch(state, epoch, report.trainLoss, best, fingerprint);
      run.log(`epoch ${epoch}/${recipe.epochs}: train loss ${report.trainLoss.toFixed(4)}, ${(examples / seconds).toFixed(1)} examples/s`);
    }
    if (run.saveBestTo) await this.saveBest(state!);
    return { epochs: reports, resumedFromEpoch, examplesPerSecond: seconds > 0 ? examples / seconds : 0 };
  }

  /**
   * The tokens the backbone needs to see. Pooling at position 0 with right padding reads a hidden state that, in
   * a causal model, depends on the first token alone: feeding only that token gives the same logits and
   * gradients at a fraction of the cost. Otherwise every token.
   */
  private fedTokens(ids: number[]): number[] {
    return this.recipe.pooling === 'first' && this.recipe.paddingSide === 'right' ? ids.slice(0, 1) : ids;
  }

  /** One batch of 1 short example tells which variables the loss reaches. */
  private selectTrainableParams(): void {
    const all = new Map([...this.backbone, ...this.head.variables]);
    const batch = padBatch([this.trainIds[0]!.slice(0, 2)], this.padId, this.recipe.paddingSide, this.recipe.pooling);
    const names = new Map([...all].map(([key, v]) => [v.name, key]));
    const { value, grads } = tf.variableGrads(() => this.loss(batch, [this.run.train[0]!.label], false, 0), [...all.values()]);
    value.dispose();
    for (const [tfName, g] of Object.entries(grads)) {
      const key = names.get(tfName)!;
      this.params.set(key, all.get(key)!);
      this.keyByTfName.set(tfName, key);
      g.dispose();
    }
    for (const key of this.head.variables.keys()) {
      if (!this.params.has(key)) throw new Error(`classification head variable ${key} gets no gradient`);
    }
    if (this.params.size === this.head.variables.size) {
      throw new Error(`the ${this.base.architecture} backbone gets no gradient: its forward must read weights through \`variables\``);
    }
    const r = this.recipe;
    // Weight decay on every parameter, biases and norms included (reference: AdamW(model.parameters(), ...)).
    // In a scope: the zero tensors the moments start from are released (variables always stay).
    tf.engine().startScope();
    try {
      this.optimizer = new AdamW(this.params, { beta1: r.beta1, beta2: r.beta2, epsilon: r.epsilon, weightDecay: r.weightDecay }, () => true);
    } finally {
      tf.engine().endScope();
    }
  }

  /** Mean cross-entropy of a padded batch (a scalar tensor). */
  private loss(batch: PaddedBatch, labels: number[], training: boolean, step: number, micro = 0): tf.Scalar {
    const logits = this.logits(batch, training, step, micro);
    const targets = tf.oneHot(tf.tensor1d(labels, 'int32'), this.run.numLabels);
    return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  }

  /** Backbone -> pooled hidden state -> head. Call inside a tidy scope. */
  private logits(batch: PaddedBatch, training: boolean, step: number, micro = 0): tf.Tensor2D {
    const stepSeed = deriveIndexedSeed(this.recipe.seed, 1 + step);
    const pooled = pooledHidden(this.view, batch, this.recipe.paddingSide, training, deriveIndexedSeed(stepSeed, 2 * micro));
    return this.head.apply(pooled, training, deriveIndexedSeed(stepSeed, 2 * micro + 1));
  }

  /** One optimizer step on `rows`: the mean loss over the batch, run as micro-batches whose gradients are
   *  summed with weights (rows in micro-batch / rows in batch), so the update is the whole batch's. */
  private trainStep(rows: number[], step: number): number {
    const varList = [...this.params.values()];
    const grads = new Map<string, tf.Tensor>();
    let loss = 0;
    // With left padding, micro-batches are padded to the whole batch's longest row (as the batch itself would be).
    const padTo = this.recipe.paddingSide === 'left' ? Math.max(...rows.map((i) => this.trainIds[i]!.length)) : undefined;
    const lengthOf = (i: number) => padTo ?? this.trainIds[i]!.length;
    // Right padding: rows of similar length share a micro-batch (less padding; the sum over rows is the same).
    const ordered = padTo === undefined ? [...rows].sort((a, b) => this.trainIds[a]!.length - this.trainIds[b]!.length || a - b) : rows;
    const chunks = splitByTokens(ordered, lengthOf, this.microBatchTokens);
    for (const [micro, chunk] of chunks.entries()) {
      const batch = padBatch(chunk.map((i) => this.trainIds[i]!), this.padId, this.recipe.paddingSide, this.recipe.pooling, padTo);
      const labels = chunk.map((i) => this.run.train[i]!.label);
      const share = chunk.length / rows.length;
      const { value, grads: microGrads } = tf.variableGrads(() => tf.mul(this.loss(batch, labels, true, step, micro), share) as tf.Scalar, varList);
      loss += value.dataSync()[0]!;
      value.dispose();
      accumulateGradients(grads, microGrads, this.keyByTfName);
    }
    if (!Number.isFinite(loss)) {
      tf.dispose([...grads.values()]);
      throw new ClassItError(`fine-tuning diverged at step ${step + 1}: loss ${loss}; try a lower learning rate`);
    }
    this.optimizer!.apply(grads, this.schedule.learningRate(step));
    tf.dispose([...grads.values()]);
    return loss;
  }

  /** Argmax labels, in order. With right padding rows do not affect each other, so batches group similar lengths. */
  private predict(sequences: number[][]): number[] {
    const order = sequences.map((_, i) => i);
    if (this.recipe.paddingSide === 'right') order.sort((a, b) => sequences[a]!.length - sequences[b]!.length);
    const out = new Array<number>(sequences.length);
    for (let i = 0; i < order.length; i += this.recipe.evalBatchSize) {
      // Split into micro-batches (a tidy scope keeps a forward's activations as training does); with left padding each is padded to
      // the whole batch's longest row, so every row sees the positions it would in the whole batch.
      const rows = order.slice(i, i + this.recipe.evalBatchSize);
      const padTo = this.recipe.paddingSide === 'left' ? Math.max(...rows.map((r) => sequences[r]!.length)) : undefined;
      for (const chunk of splitByTokens(rows, (r) => padTo ?? sequences[r]!.length, this.microBatchTokens)) {
        const batch = padBatch(chunk.map((r) => sequences[r]!), this.padId, this.recipe.paddingSide, this.recipe.pooling, padTo);
        const labels = tf.tidy(() => tf.argMax(this.logits(batch, false, 0), 1));
        const values = labels.dataSync();
        labels.dispose();
        chunk.forEach((r, j) => { out[r] = values[j]!; });
      }
    }
    return out;
  }

  private paramTensors(withMoments: boolean): NamedTensors {
    const out: NamedTensors = new Map();
    for (const [key, v] of this.params) out.set(`param/${key}`, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    if (withMoments) {
      const moments = this.optimizer!.exportMoments();
      for (const [key, { shape, m }] of moments) out.set(`adam_m/${key}`, { shape, data: m });
      for (const [key, { shape, v }] of moments) out.set(`adam_v/${key}`, { shape, data: v });
    }
    return out;
  }

  private async saveEpoch(previous: ClassifierState | undefined, epoch: number, trainLoss: number, best: boolean, fingerprint: string): Promise<ClassifierState> {
    const state: ClassifierState = {
      version: 1,
      fingerprint,
      epochsDone: epoch,
      bestEpoch: best ? epoch : previous?.bestEpoch ?? 0,
      optimizerStep: this.optimizer!.step,
      trainLosses: [...(previous?.trainLosses ?? []), trainLoss],
      currentFile: `epoch-${epoch}.safetensors`,
      bestFile: best ? `best-${epoch}.safetensors` : previous?.bestFile,
      rng: { seed: this.recipe.seed, shuffle: SHUFFLE_SCHEME, dropout: DROPOUT_SCHEME },
      backend: tf.getBackend(),
    };
    await writeEpochState(this.run.stateDir, state, this.paramTensors(true), best ? this.paramTensors(false) : undefined);
    return state;
  }

  private async restore(state: ClassifierState): Promise<void> {
    const tensors = await readStateTensors(this.run.stateDir, state.currentFile);
    const get = (name: string, v: tf.Variable) => {
      const data = tensors.get(name);
      if (!data || data.length !== v.size) throw new ClassItError(`fine-tuning state has no (or a wrongly sized) tensor '${name}'`, { file: path.join(this.run.stateDir, state.currentFile) });
      return data;
    };
    for (const [key, v] of this.params) tf.tidy(() => v.assign(tf.tensor(get(`param/${key}`, v), v.shape, 'float32')));
    const moments = (prefix: string) => new Map([...this.params.keys()].map((k) => [k, get(`${prefix}${k}`, this.params.get(k)!)]));
    this.optimizer!.load(moments('adam_m/'), moments('adam_v/'), state.optimizerStep);
  }

  /** Best backbone (HF checkpoint layout) + head (`classifier.safetensors`, torch layout) + `classifier.json`. */
  private async saveBest(state: ClassifierState): Promise<void> {
    if (!state.bestFile) throw new Error('no epoch was marked best: nothing to save');
    const tensors = await readStateTensors(this.run.stateDir, state.bestFile);
    for (const [key, v] of this.params) tf.tidy(() => v.assign(tf.tensor(tensors.get(`param/${key}`)!, v.shape, 'float32')));
    const dir = this.run.saveBestTo!;
    await writeDirAtomic(dir, async (tmp) => {
      await writeJsonAtomic(path.join(tmp, 'config.json'), {
        ...this.base.config, architectures: hfArchitecturesOf(this.base), torch_dtype: 'float32',
      });
      await writeSafetensors(path.join(tmp, 'model.safetensors'), this.view.exportWeights(), { format: 'pt' });
      await this.model.tokenizer.save(tmp);
      await writeSafetensors(path.join(tmp, 'classifier.safetensors'), this.head.exportTorch(), { format: 'pt' });
      await writeJsonAtomic(path.join(tmp, 'classifier.json'), {
        num_labels: this.run.numLabels,
        head: 'LayerNorm(no affine) -> Linear(H,H) -> GELU(erf) -> LayerNorm(no affine) -> Dropout -> Linear(H,num_labels)',
        head_prefix: HEAD_PREFIX,
        pooling: this.recipe.pooling,
        padding_side: this.recipe.paddingSide,
        max_length: this.maxLength,
        best_epoch: state.bestEpoch,
        recipe: this.recipe,
      });
    });
    this.run.log(`best model (epoch ${state.bestEpoch}) saved to ${dir}`);
  }

  private fingerprint(): string {
    const hash = createHash('sha256');
    hash.update(JSON.stringify({ recipe: this.recipe, numLabels: this.run.numLabels, maxLength: this.maxLength, padId: this.padId }));
    for (const [key, v] of this.params) hash.update(`${key}:${v.shape.join('x')}\n`);
    for (const ids of [...this.trainIds, [-1], ...this.validIds]) hash.update(ids.join(',') + '\n');
    for (const e of this.run.train) hash.update(`${e.label}`);
    for (const e of this.run.valid) hash.update(`${e.label}`);
    return hash.digest('hex').slice(0, 16);
  }

  dispose(): void {
    this.optimizer?.dispose();
    this.head.dispose();
    tf.dispose([...this.backbone.values()]);
    this.backbone.clear();
  }
}
