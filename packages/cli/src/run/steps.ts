/** The runner's training steps, wired to core's pretraining and instruction-tuning jobs. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExperimentSteps } from './runner.js';
import { pretrain } from '../pretrain/pretrain.js';
import { instructionTune } from '../instruct/job.js';

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

export const defaultSteps: ExperimentSteps = {
  async pretrain(registry, model, outDir, seed, log, baseDir, backend) {
    const spec = model.pretrain!;
    const finalDir = path.join(outDir, 'final');
    // pretrain.json is written only after the final model: its presence means this model is done.
    if (await exists(path.join(outDir, 'pretrain.json')) && await exists(path.join(finalDir, 'config.json'))) {
      log(`pretrained model ${model.name}: done before, reusing ${finalDir}`);
      return finalDir;
    }
    const result = await pretrain(registry, {
      corpus: spec.corpus.map((c) => path.resolve(baseDir, c)),
      out: outDir,
      preset: spec.preset,
      architecture: spec.architecture,
      overrides: spec.overrides,
      vocabSize: spec.vocabSize,
      tokenizer: spec.tokenizer ? path.resolve(baseDir, spec.tokenizer) : undefined,
      maxSteps: spec.maxSteps,
      epochs: spec.epochs,
      batchSize: spec.batchSize,
      sequenceLength: spec.sequenceLength,
      learningRate: spec.learningRate,
      seed,
      backend,
      log,
    });
    return result.finalDir;
  },
  instructionTune: (registry, args) => instructionTune(registry, args),
};
