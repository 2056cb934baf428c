/**
 * `render: text`: instruction tuning on the dataset's own `text` column (CLASS-IT rows have one) instead of a chat
 * template, through the real data plugins (switchboard, simple_wiki), small JSONL files in a temp dir, and the real
 * tfjs trainer on a tiny GPT: the loss goes on what follows the prompt inside the text (`lossOn: reply`), examples
 * whose text lacks their prompt are left out, counted and warned about, and what cannot work is refused up front.
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, PluginRegistry, type PluginDefinition } from '@class-it/core';
import { builtinCurricula, countWords } from '@class-it/instruct';
import { InstructionData, instructionTuningSchema, pretrain, runInstructionTuning } from '@class-it/cli';
import runtimePlugin from '@class-it/runtime-tfjs/plugin';
import gptPlugin from '@class-it/model-gpt/plugin';
import { plugins as conversationalPlugins } from '@class-it/data-conversational';
import { plugins as qaPlugins } from '@class-it/data-qa';

function registry(): PluginRegistry {
  const reg = new PluginRegistry();
  for (const d of builtinCurricula) reg.register(d, { packageName: '@class-it/instruct', packageVersion: '0.1.0' });
  const plugins: Record<string, PluginDefinition | PluginDefinition[]> = {
    '@class-it/runtime-tfjs': runtimePlugin, '@class-it/model-gpt': gptPlugin, '@class-it/data-conversational': conversationalPlugins, '@class-it/data-qa': qaPlugins,
  };
  for (const [name, exported] of Object.entries(plugins)) {
    for (const d of Array.isArray(exported) ? exported : [exported]) reg.register(d, { packageName: name, packageVersion: '0.1.0' });
  }
  return reg;
}

const NOUNS = ['dog', 'cat', 'bird', 'fish', 'cow', 'pig', 'hen', 'fox'];

/** CLASS-IT rows: text = context, then the prompt, then the reply; every `broken`-th row's text lacks its prompt. */
function rows(n: number, broken = 0): string {
  return Array.from({ length: n }, (_, i) => {
    const noun = NOUNS[i % NOUNS.length]!;
    const prompt = `Question ${i}: what does the ${noun} do?`;
    const reply = `The ${noun} sleeps.`;
    const text = broken && i % broken === 0 ? `The ${noun} is here.\n${reply}` : `The ${noun} is here.\n${prompt}\n${reply}`;
    return JSON.stringify({ prompt, reply, source: 'test', text });
  }).join('\n') + '\n';
}

async function tempData(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-own-text-'));
  await fs.writeFile(path.join(dir, 'conv.jsonl'), rows(40, 4));
  await fs.writeFile(path.join(dir, 'qa.jsonl'), rows(30));
  await fs.writeFile(path.join(dir, 'no-text.jsonl'), JSON.stringify({ prompt: 'p?', reply: 'r.', source: 's' }) + '\n');
  await fs.writeFile(path.join(dir, 'never.jsonl'), rows(6, 1));
  await fs.writeFile(path.join(dir, 'corpus.txt'), Array.from({ length: 200 }, (_, i) => `The ${NOUNS[i % 8]} is here. The ${NOUNS[(i + 3) % 8]} sleeps.`).join('\n') + '\n');
  return dir;
}

function config(datasets: Record<string, unknown>, formatting: Record<string, unknown> = { render: 'text' }) {
  return instructionTuningSchema.parse({
    datasets, formatting, heldOut: { perDataset: 2 },
    trainer: { batchSize: 8, sequenceLength: 48, maxSteps: 3, evalEverySteps: 100, checkpointEverySteps: 100 },
    milestones: false,
  });
}

describe('render: text (the dataset\'s own text)', () => {
  it('loads text examples, leaves out (and reports) those whose text lacks the prompt, and trains on the text with reply-only loss', async () => {
    const reg = registry();
    const dir = await tempData();
    const logs: string[] = [];
    const log = (l: string) => logs.push(l);
    const instruction = config({
      conv: { plugin: 'switchboard', settings: { path: 'conv.jsonl' } },
      // this dataset keeps the chat template
      qa: { plugin: 'simple_wiki', settings: { path: 'qa.jsonl' }, render: 'template' },
    });
    const data = await InstructionData.load(reg, instruction, dir, log);
    expect(data.textRendering).toEqual({ conv: { examples: 40, promptNotFound: 10, firstNotFound: 'conv.jsonl:1' } });
    expect(logs.join('\n')).toMatch(/WARNING: dataset conv \(render: text, lossOn: reply\): the text of 10 of 40 examples does not contain its prompt \(first: conv\.jsonl:1\); they are left out of training/);
    const conv = [...data.train['conv']!, ...data.heldOut['conv']!];
    expect(conv).toHaveLength(30);
    expect(conv.every((e) => e.kind === 'text' && e.prompt !== undefined && e.text.includes(e.prompt))).toBe(true);
    expect(data.train['qa']!.every((e) => e.kind === 'prompt-reply')).toBe(true);

    const pre = await pretrain(reg, {
      corpus: [path.join(dir, 'corpus.txt')], out: path.join(dir, 'pretrain'), preset: 'gpt-tiny', vocabSize: 300, seed: 1,
      backend: 'wasm', batchSize: 8, sequenceLength: 32, maxSteps: 2, log,
    });
    const out = path.join(dir, 'tuned');
    const result = await runInstructionTuning(reg, {
      baseModelDir: pre.finalDir, data, seed: 1, outDir: out, backend: 'wasm', log,
      condition: { name: 'merged', curriculum: 'merged', settings: {} },
    });
    const record = JSON.parse(await fs.readFile(path.join(out, 'instruct.json'), 'utf8'));
    expect(record.textRendering).toEqual(data.textRendering);
    expect(record.formatting.render).toBe('text');
    const stats = result.formatStats!;
    expect(stats.droppedNoLoss).toBe(0);
    expect(stats.lossTokens).toBeGreaterThan(0);
    expect(stats.lossTokens).toBeLessThan(stats.tokens);
    // The ledger counts the words of what was trained on: the texts of conv, the prompt and reply of qa.
    const trainedWords = data.train['conv']!.reduce((n, e) => n + countWords(e.kind === 'text' ? e.text : ''), 0) +
      data.train['qa']!.reduce((n, e) => n + (e.kind === 'prompt-reply' ? countWords(e.prompt) + countWords(e.reply) : 0), 0);
    expect(result.ledger!.phases.find((p) => p.name.startsWith('instruction-tuning'))!.uniqueWords).toBe(trainedWords);
  }, 300_000);

  it('refuses a dataset without texts, and reply-only loss when no text contains its prompt, naming the field', async () => {
    const reg = registry();
    const dir = await tempData();
    const noText = config({ plain: { plugin: 'switchboard', settings: { path: 'no-text.jsonl' }, render: 'text' } }, {});
    await expect(InstructionData.load(reg, noText, dir, () => {})).rejects.toThrow(ConfigError);
    await expect(InstructionData.load(reg, noText, dir, () => {})).rejects.toThrow(
      /field 'instruction\.datasets\.plain\.render': dataset 'plain' is rendered from its own text \(render: text\), but 1 of its 1 examples have no text \(first: no-text\.jsonl:1\)/);
    const never = config({ never: { plugin: 'switchboard', settings: { path: 'never.jsonl' } } });
    await expect(InstructionData.load(reg, never, dir, () => {})).rejects.toThrow(
      /field 'instruction\.formatting\.render': dataset 'never' \(render: text, lossOn: reply\): no example's text contains its prompt/);
    // With loss on everything, the prompt need not be found: every example is kept.
    const all = await InstructionData.load(reg, config({ never: { plugin: 'switchboard', settings: { path: 'never.jsonl' } } }, { render: 'text', lossOn: 'all' }), dir, () => {});
    expect(all.textRendering['never']).toEqual({ examples: 6, promptNotFound: 0 });
  });
});
