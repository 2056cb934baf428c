/**
 * `class-it generate`: one JSON line in per prompt — `{"prompt": "..."}` (tokenised as is, with the tokenizer's
 * special tokens) or `{"messages": [{"role", "content"}, ...]}` (through the checkpoint's chat template, with the
 * assistant's generation prompt) — with optional HF-style settings (`max_new_tokens`, `temperature`, `top_k`,
 * `top_p`, `repetition_penalty`, `do_sample`, `stop`, `seed`); one line out per prompt, in order:
 * `{"text", "ids", "finish_reason"}` (`ids`: the generated token ids only). Lines with equal settings run in
 * left-padded batches of `--batch-size`.
 */
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { DataError, writeFileAtomic, type ChatMessage, type GenerationPrompt, type GenerationSettings } from '@class-it/core';
import { parseJsonl, type JsonlRow } from '@class-it/data-sources';
import { chatPromptIds } from '@class-it/instruct';
import type { CliContext } from '../context.js';
import { ProgressBar } from '../progress.js';
import { BACKEND_HELP } from './backend-option.js';
import { MODEL_HELP, addModelSourceOptions, modelDirOf, type ModelSourceFlags } from './model-option.js';
import { HF_FIELDS, generationSettingsFrom, type FieldNames } from '../generation/settings.js';
import { loadGenerator, type Generator } from '../generation/load-generator.js';

const FLAG_FIELDS: FieldNames = {
  '--max-new-tokens': 'maxNewTokens', '--temperature': 'temperature', '--top-k': 'topK', '--top-p': 'topP', '--seed': 'seed',
};
const KNOWN_FIELDS = new Set(['prompt', 'messages', 'id', ...Object.keys(HF_FIELDS)]);

interface GenerateRequest {
  line: number;
  id?: unknown;
  prompt: GenerationPrompt;
  settings: GenerationSettings;
}

/** A conversation field: a non-empty list of {role, content} strings. */
export function parseMessages(value: unknown, where: { file?: string; line?: number; field: string }): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw new DataError('expected a non-empty list of {"role", "content"}', where);
  return value.map((m, i) => {
    const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || typeof content !== 'string') {
      throw new DataError(`message ${i} needs a string "role" and a string "content"`, where);
    }
    return { role, content };
  });
}

function readRequest(row: JsonlRow, file: string, generator: Generator, flags: GenerationSettings): GenerateRequest {
  const where = { file, line: row.line };
  const unknown = Object.keys(row.value).find((k) => !KNOWN_FIELDS.has(k));
  if (unknown) throw new DataError(`unknown field (known: ${[...KNOWN_FIELDS].join(', ')})`, { ...where, field: unknown });
  const { prompt, messages } = row.value;
  if ((prompt === undefined) === (messages === undefined)) throw new DataError('give either "prompt" or "messages"', where);
  let input: GenerationPrompt;
  if (prompt !== undefined) {
    if (typeof prompt !== 'string') throw new DataError('expected a string', { ...where, field: 'prompt' });
    input = prompt;
  } else {
    const conversation = parseMessages(messages, { ...where, field: 'messages' });
    input = { ids: chatPromptIds(generator.template, conversation, generator.model.tokenizer) };
  }
  const settings = { ...flags, ...generationSettingsFrom(row.value, HF_FIELDS, where) };
  return { line: row.line, id: row.value.id, prompt: input, settings };
}

/** Batches of up to `size` requests with equal settings (in file order within each), as index lists. */
function batchesOf(requests: GenerateRequest[], size: number): number[][] {
  const groups = new Map<string, number[]>();
  requests.forEach((r, i) => {
    const key = JSON.stringify(r.settings);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const batches: number[][] = [];
  for (const members of groups.values()) {
    for (let i = 0; i < members.length; i += size) batches.push(members.slice(i, i + size));
  }
  return batches;
}

export function registerGenerate(program: Command, ctx: CliContext): void {
  const command = program
    .command('generate')
    .description('generate text: one JSON line {"prompt"} or {"messages"} in (optional max_new_tokens, temperature, top_k, top_p, ' +
      'repetition_penalty, do_sample, stop, seed), one {"text","ids","finish_reason"} out; defaults from the checkpoint\'s generation_config.json')
    .requiredOption('--model <dir>', MODEL_HELP)
    .requiredOption('--input <file>', 'JSONL with "prompt" or "messages" per line')
    .option('--output <file>', 'write here instead of stdout')
    .option('--batch-size <n>', 'prompts per batch (lines with equal settings are batched, left-padded)', '8')
    .option('--max-new-tokens <n>', 'default for lines that do not say')
    .option('--temperature <x>', 'default for lines that do not say (0: greedy; > 0 samples)')
    .option('--top-k <n>', 'default for lines that do not say')
    .option('--top-p <x>', 'default for lines that do not say')
    .option('--seed <n>', 'default for lines that do not say')
    .option('--backend <name>', BACKEND_HELP, 'auto');
  addModelSourceOptions(command)
    .action(async (opts: ModelSourceFlags & {
      model: string; input: string; output?: string; batchSize: string; backend: string;
      maxNewTokens?: string; temperature?: string; topK?: string; topP?: string; seed?: string;
    }) => {
      const batchSize = Number(opts.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new DataError(`expected a positive integer, got '${opts.batchSize}'`, { field: '--batch-size' });
      const flagValues = { '--max-new-tokens': opts.maxNewTokens, '--temperature': opts.temperature, '--top-k': opts.topK, '--top-p': opts.topP, '--seed': opts.seed };
      const numeric = Object.fromEntries(Object.entries(flagValues).filter(([, v]) => v !== undefined).map(([k, v]) => [k, Number(v)]));
      const flags = generationSettingsFrom(numeric, FLAG_FIELDS);
      const rows = parseJsonl(await fs.readFile(opts.input, 'utf8'), opts.input);
      const registry = await ctx.getRegistry();
      const generator = await loadGenerator(registry, await modelDirOf(opts.model, opts), opts.backend, opts.model);
      try {
        const requests = rows.map((row) => readRequest(row, opts.input, generator, flags));
        const lines: string[] = new Array(requests.length);
        const bar = new ProgressBar({ label: 'generate', total: requests.length });
        let done = 0;
        for (const batch of batchesOf(requests, batchSize)) {
          const outputs = await generator.model.generate(batch.map((i) => requests[i]!.prompt), requests[batch[0]!]!.settings);
          outputs.forEach((out, k) => {
            const request = requests[batch[k]!]!;
            lines[batch[k]!] = JSON.stringify({
              ...(request.id !== undefined ? { id: request.id } : {}),
              text: out.text, ids: out.ids, finish_reason: out.finishReason,
            });
          });
          bar.update((done += batch.length));
        }
        bar.finish();
        const text = lines.map((l) => l + '\n').join('');
        if (opts.output) await writeFileAtomic(opts.output, text);
        else process.stdout.write(text);
      } finally {
        generator.model.dispose();
      }
    });
}
