import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { loadModel } from '../run/load-model.js';
import { parseJsonl, stringField } from '@class-it/data-sources';
import { writeFileAtomic } from '@class-it/core';
import { ProgressBar } from '../progress.js';

export function registerScore(program: Command, ctx: CliContext): void {
  program
    .command('score')
    .description('log-likelihood of continuations: one JSON line {"context","continuation"} in, one {"logprob","tokens"} out (BabyLM causal rule)')
    .requiredOption('--model <dir>', 'checkpoint directory (HF layout)')
    .requiredOption('--input <file>', 'JSONL with "context" and "continuation" per line')
    .option('--output <file>', 'write here instead of stdout')
    .option('--batch-size <n>', 'sequences per forward pass (results do not depend on it)', '32')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .action(async (opts: { model: string; input: string; output?: string; batchSize: string; backend: string }) => {
      const registry = await ctx.getRegistry();
      const rows = parseJsonl(await fs.readFile(opts.input, 'utf8'), opts.input);
      const requests = rows.map((r) => ({ context: stringField(r, 'context', opts.input), continuation: stringField(r, 'continuation', opts.input) }));
      const model = await loadModel(registry, opts.model, opts.backend);
      const bar = new ProgressBar({ label: 'score', total: requests.length });
      const results = await model.logLikelihood(requests, { batchSize: Number(opts.batchSize), onProgress: (d) => bar.update(d) });
      bar.finish();
      const out = results.map((r) => JSON.stringify({ logprob: r.logprob, tokens: r.tokens, token_logprobs: r.tokenLogprobs })).join('\n') + '\n';
      if (opts.output) await writeFileAtomic(opts.output, out);
      else process.stdout.write(out);
      model.dispose();
    });
}
