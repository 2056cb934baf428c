import type { Command } from 'commander';
import { z } from 'zod';
import type { CliContext } from '../context.js';
import { loadModel } from '../run/load-model.js';
import { readJsonl, stringField } from '@class-it/data-sources';
import { writeFileAtomic } from '@class-it/core';
import { ProgressBar } from '../progress.js';
import { BACKEND_HELP } from './backend-option.js';
import { MODEL_HELP, addModelSourceOptions, modelDirOf, type ModelSourceFlags } from './model-option.js';
import { parseNumberFlag } from '../config/values.js';

export function registerScore(program: Command, ctx: CliContext): void {
  const command = program
    .command('score')
    .description('log-likelihood of continuations: one JSON line {"context","continuation"} in, one {"logprob","tokens"} out (BabyLM causal rule)')
    .requiredOption('--model <dir>', MODEL_HELP)
    .requiredOption('--input <file>', 'JSONL with "context" and "continuation" per line')
    .option('--output <file>', 'write here instead of stdout')
    .option('--batch-size <n>', 'sequences per forward pass (results do not depend on it)', '32')
    .option('--backend <name>', BACKEND_HELP, 'auto');
  addModelSourceOptions(command)
    .action(async (opts: ModelSourceFlags & { model: string; input: string; output?: string; batchSize: string; backend: string }) => {
      const registry = await ctx.getRegistry();
      const batchSize = parseNumberFlag(opts.batchSize, '--batch-size', z.number().int('expected an integer').positive('expected a positive integer'))!;
      // Every request is checked before the model loads: a continuation must hold something to score.
      const rows = await readJsonl(opts.input);
      const requests = rows.map((r) => ({ context: stringField(r, 'context', opts.input), continuation: stringField(r, 'continuation', opts.input, { nonEmpty: true }) }));
      const model = await loadModel(registry, await modelDirOf(opts.model, opts), opts.backend);
      const bar = new ProgressBar({ label: 'score', total: requests.length });
      const results = await model.logLikelihood(requests, { batchSize, onProgress: (d) => bar.update(d) });
      bar.finish();
      const out = results.map((r) => JSON.stringify({ logprob: r.logprob, tokens: r.tokens, token_logprobs: r.tokenLogprobs })).join('\n') + '\n';
      if (opts.output) await writeFileAtomic(opts.output, out);
      else process.stdout.write(out);
      model.dispose();
    });
}
