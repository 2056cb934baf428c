/** Request fields -> generation settings, the chat session's commands and context fitting, and a cell's report
 *  samples (fake models). */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GenerationOptions, GenerationOutput, GenerationPrompt, TextGenerator, TrainableModel } from '@class-it/core';
import { DEFAULT_TEMPLATE_TOKENS, builtinTemplate } from '@class-it/instruct';
import { CharTokenizer } from '@class-it/tokenizers/testing';
import { HF_FIELDS, generationSettingsFrom } from '../src/generation/settings.js';
import { ChatSession } from '../src/generation/chat-session.js';
import { writeCellSamples } from '../src/run/samples.js';
import { reportSchema } from '../src/config/experiment.js';

describe('generation settings from request fields', () => {
  it('maps HF names, samples when a temperature > 0 is given, and names the file, line and field of bad values', () => {
    expect(generationSettingsFrom({ max_new_tokens: 5, temperature: 0.7, top_k: 3, stop: '\n' }, HF_FIELDS))
      .toEqual({ maxNewTokens: 5, temperature: 0.7, doSample: true, topK: 3, stop: ['\n'] });
    expect(generationSettingsFrom({ temperature: 0 }, HF_FIELDS)).toEqual({ temperature: 0 });
    expect(generationSettingsFrom({ temperature: 0.7, do_sample: false }, HF_FIELDS)).toEqual({ temperature: 0.7, doSample: false });
    expect(() => generationSettingsFrom({ top_p: 2 }, HF_FIELDS, { file: 'p.jsonl', line: 3 })).toThrow(/p\.jsonl:3, field 'top_p': must be in \(0, 1\]/);
    expect(() => generationSettingsFrom({ seed: 'x' }, HF_FIELDS, { file: 'p.jsonl', line: 4 })).toThrow(/p\.jsonl:4, field 'seed': expected a number/);
  });
});

describe('chat session', () => {
  const tokenizer = new CharTokenizer({ eos: '</s>' });
  const prompts: number[][] = [];
  const optionsSeen: GenerationOptions[] = [];
  const model = {
    tokenizer, architecture: 'fake', info: { contextLength: 80 },
    generationDefaults: { doSample: false, temperature: 1 },
    async generate(p: GenerationPrompt[], options: GenerationOptions = {}): Promise<GenerationOutput[]> {
      prompts.push((p[0] as { ids: number[] }).ids);
      optionsSeen.push(options);
      options.onToken?.({ index: 0, tokenId: 1, text: 'fine' });
      return [{ text: 'fine', ids: [1], finishReason: 'stop', promptTokens: 1 }];
    },
  } as unknown as TrainableModel & TextGenerator;

  it('keeps the conversation, streams replies, stops at the next user turn, and handles /temperature and /reset', async () => {
    let out = '';
    const session = new ChatSession({ model, template: builtinTemplate('plain'), name: 'm' }, { maxNewTokens: 10, seed: 1 }, (t) => { out += t; });
    await session.input('hi');
    await session.input('again');
    expect(tokenizer.decode(prompts[1]!)).toBe('User: hi\nAssistant: fine\nUser: again\nAssistant:');
    expect(optionsSeen[1]).toMatchObject({ maxNewTokens: 10, stop: ['\nUser:'] });
    expect(optionsSeen[0]!.seed).not.toBe(optionsSeen[1]!.seed);
    expect(out).toBe('fine\nfine\n');
    await session.input('/temperature 0.5');
    expect(out).toContain('(temperature 0.5)');
    await session.input('x');
    expect(optionsSeen[2]).toMatchObject({ temperature: 0.5, doSample: true });
    await session.input('/temperature -1');
    expect(out).toContain('temperature must be a number >= 0');
    await session.input('/reset');
    await session.input('new');
    expect(tokenizer.decode(prompts.at(-1)!)).toBe('User: new\nAssistant:');
    expect(await session.input('/exit')).toBe(false);
  });

  it('drops the oldest turns when the conversation outgrows the context window', async () => {
    const session = new ChatSession({ model, template: builtinTemplate('plain'), name: 'm' }, { maxNewTokens: 10, seed: 1 }, () => undefined);
    for (const word of ['first message', 'second message', 'third message']) await session.input(word);
    const last = tokenizer.decode(prompts.at(-1)!);
    expect(last.endsWith('User: third message\nAssistant:')).toBe(true);
    expect(last).not.toContain('first message');
    expect(prompts.at(-1)!.length + 10).toBeLessThanOrEqual(80);
  });
});

describe('report samples of a cell', () => {
  it('answers each sample greedily (messages through the chat template), writes samples.json once', async () => {
    const tokenizer = new CharTokenizer({ bos: '<s>', eos: '</s>', additional: DEFAULT_TEMPLATE_TOKENS });
    const seen: Array<{ prompt: GenerationPrompt; options: GenerationOptions }> = [];
    const model = {
      tokenizer, architecture: 'fake',
      async generate(p: GenerationPrompt[], options: GenerationOptions = {}): Promise<GenerationOutput[]> {
        seen.push({ prompt: p[0]!, options });
        return [{ text: `answer ${seen.length}`, ids: [1], finishReason: seen.length === 1 ? 'length' : 'stop', promptTokens: 1 }];
      },
    } as unknown as TrainableModel;
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'samples-'));
    const report = reportSchema.parse({ samples: ['Where is the dog?', { prompt: 'Once upon' }], maxNewTokens: 12 });
    let loads = 0;
    const load = async () => { loads++; return model; };
    const file = await writeCellSamples(load, dir, report, dir);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual({
      maxNewTokens: 12,
      samples: [
        { prompt: 'Where is the dog?', text: 'answer 1', finishReason: 'length' },
        { prompt: 'Once upon', text: 'answer 2', finishReason: 'stop' },
      ],
    });
    expect(tokenizer.decode((seen[0]!.prompt as { ids: number[] }).ids)).toBe('<s><|user|>\nWhere is the dog?</s>\n<|assistant|>\n');
    expect(seen[1]!.prompt).toBe('Once upon');
    expect(seen.every((s) => s.options.doSample === false && s.options.maxNewTokens === 12)).toBe(true);
    await writeCellSamples(load, dir, report, dir);
    expect(loads).toBe(1); // written before: the model is not even loaded
    expect(reportSchema.safeParse({ samples: [{ question: 'x' }] }).success).toBe(false);
  });
});
