/** The runner's training steps, wired to the pretraining and instruction-tuning jobs. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExperimentSteps } from './runner.js';
import { pretrain } from '../pretrain/pretrain.js';
import { isRemoteCorpus } from '../pretrain/corpus.js';
import { instructionTune } from '../instruct/job.js';

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

export const defaultSteps: ExperimentSteps = {
  async pretrain(registry, { model, settings, outDir, seed, experimentDir, backend, log }) {
    const finalDir = path.join(outDir, 'final');
    // pretrain.json is written only after the final model: its presence means this model is done.
    if (await exists(path.join(outDir, 'pretrain.json')) && await exists(path.join(finalDir, 'config.json'))) {
      log(`pretrained model ${model}: done before, reusing ${finalDir}`);
      return finalDir;
    }
    const result = await pretrain(registry, {
      ...settings,
      corpus: settings.corpus.map((c) => (isRemoteCorpus(c) ? c : path.resolve(experimentDir, c))),
      cacheDir: path.resolve(experimentDir, settings.cacheDir),
      tokenizer: settings.tokenizer ? path.resolve(experimentDir, settings.tokenizer) : undefined,
      out: outDir,
      seed,
      backend,
      log,
    });
    return result.finalDir;
  },
  instructionTune: (registry, args) => instructionTune(registry, args),
};
