/**
 * Talking to a model through the built `class-it` binary: `generate` (JSONL in and out), `chat` in a
 * pseudo-terminal, `serve` with the official `openai` npm client (streamed and not) and its chat page in headless
 * Chromium. The model is a small random GPT with role tokens (weights spread wide, so replies run long), and every
 * greedy answer is checked against the same generation run in this process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { ChatMessage, TextGenerator, TrainableModel } from '@class-it/core';
import { DEFAULT_TEMPLATE_TOKENS, chatPromptIds, generationTemplate, type ChatTemplate } from '@class-it/instruct';
import { initEngine, trainByteLevelBpe } from '@class-it/runtime-tfjs';
import { GptArchitecture } from '@class-it/model-gpt';
import { Chromium, findChromium } from './helpers/chromium';
import { Terminal, hasScript } from './helpers/terminal';

const workspace = path.resolve(__dirname, '..', '..');
const cli = path.join(workspace, 'packages/cli/dist/main.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const chromium = findChromium();
if (!chromium) console.warn('SKIPPED: the chat page test: no chromium on PATH (Debian: apt-get install -y chromium)');
const script = hasScript();
if (!script) console.warn('SKIPPED: the class-it chat terminal test: no util-linux `script` on PATH');

let work: string;
let modelDir: string;
let model: TrainableModel & TextGenerator;
let template: ChatTemplate;

/** The greedy reply this process generates for a conversation (what every command must print). */
async function reply(messages: ChatMessage[], maxNewTokens: number): Promise<string> {
  const [out] = await model.generate([{ ids: chatPromptIds(template, messages, model.tokenizer) }], { maxNewTokens });
  return out!.text;
}

beforeAll(async () => {
  expect(existsSync(cli), 'build the workspace first (npm run build)').toBe(true);
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-generate-'));
  await initEngine('wasm');
  const corpus = readFileSync(path.join(workspace, 'data/quickstart/corpus.txt'), 'utf8').split('\n').slice(0, 2000);
  const tokenizer = trainByteLevelBpe(corpus, {
    vocabSize: 400, specialTokens: { eos: '<|endoftext|>', pad: '<|pad|>', additional: DEFAULT_TEMPLATE_TOKENS },
  });
  const fresh = await new GptArchitecture().create({ preset: 'gpt-tiny', overrides: { initializer_range: 0.3 }, tokenizer, seed: 11 });
  modelDir = path.join(work, 'tiny-chat');
  await fresh.save(modelDir);
  fresh.dispose();
  model = await new GptArchitecture().load(modelDir) as TrainableModel & TextGenerator;
  template = await generationTemplate(modelDir, model.tokenizer);
  expect(template.name).toBe('default');
});
afterAll(async () => {
  model?.dispose();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

describe('class-it generate', () => {
  it('answers prompts and conversations line by line; seeded sampling repeats; bad lines name file, line and field', async () => {
    const input = path.join(work, 'prompts.jsonl');
    const question: ChatMessage[] = [{ role: 'user', content: 'Where is the dog?' }];
    await fs.writeFile(input, [
      { prompt: 'The cat', max_new_tokens: 10 },
      { messages: question, max_new_tokens: 10 },
      { prompt: 'The cat', max_new_tokens: 10, temperature: 0.9, seed: 5, id: 7 },
      { prompt: 'The cat', max_new_tokens: 10, temperature: 0.9, seed: 5 },
      { prompt: 'The cat', max_new_tokens: 10, temperature: 0.9, seed: 6 },
    ].map((l) => JSON.stringify(l)).join('\n') + '\n');
    const res = run(['generate', '--model', modelDir, '--input', input, '--backend', 'wasm']);
    expect(res.status, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id?: number; text: string; ids: number[]; finish_reason: string });
    expect(lines).toHaveLength(5);
    const [greedy] = await model.generate(['The cat'], { maxNewTokens: 10 });
    expect(lines[0]).toEqual({ text: greedy!.text, ids: greedy!.ids, finish_reason: greedy!.finishReason });
    expect(lines[1]!.text).toBe(await reply(question, 10));
    expect(lines[2]!.id).toBe(7);
    expect(lines[3]!.ids).toEqual(lines[2]!.ids);
    expect(lines[4]!.ids).not.toEqual(lines[2]!.ids);
    for (const l of lines) expect(l.ids.length === 10 || l.finish_reason === 'stop').toBe(true);

    await fs.writeFile(input, '{"prompt": "a"}\n{"prompt": "b", "temperature": "hot"}\n');
    const bad = run(['generate', '--model', modelDir, '--input', input, '--backend', 'wasm']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${input}:2, field 'temperature': expected a number`);
  });
});

describe.skipIf(!script)('class-it chat in a terminal', () => {
  it('streams replies through the chat template, keeps the conversation, and obeys /temperature, /reset and /exit', async () => {
    const term = new Terminal(`${process.execPath} ${cli} chat --model ${modelDir} --backend wasm --max-new-tokens 24`);
    try {
      await term.waitFor(/> $/);
      /** Type a message; return the reply printed before the next prompt, and how many output chunks it came in. */
      const say = async (text: string) => {
        const from = term.screen.length;
        const typedAt = Date.now();
        term.type(text);
        const tail = (await term.waitFor(/\r?\n> $/, from)).replace(/\r\n/g, '\n').replace(/\r/g, '');
        const body = tail.slice(tail.indexOf('\n') + 1).replace(/\n> $/, '');
        return { body, chunks: term.chunks.filter((c) => c.at >= typedAt).length };
      };
      const q1: ChatMessage = { role: 'user', content: 'Where is the dog?' };
      const first = await say(q1.content);
      const expected1 = await reply([q1], 24);
      expect(expected1.length).toBeGreaterThan(20); // a long reply, so streaming shows
      expect(first.body).toBe(expected1);
      expect(first.chunks).toBeGreaterThan(3); // tokens appeared one by one, not all at once
      const q2: ChatMessage = { role: 'user', content: 'And the cat?' };
      const second = await say(q2.content);
      expect(second.body).toBe(await reply([q1, { role: 'assistant', content: expected1 }, q2], 24));
      expect((await say('/temperature 0.8')).body).toBe('(temperature 0.8)');
      expect((await say('/temperature 0')).body).toBe('(temperature 0: greedy)');
      expect((await say('/reset')).body).toBe('(conversation cleared)');
      expect((await say(q1.content)).body).toBe(expected1);
      term.type('/exit');
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
  });
});

describe('class-it serve', () => {
  let server: ChildProcess;
  let base: string;
  const name = 'tiny-chat';

  beforeAll(async () => {
    server = spawn(process.execPath, [cli, 'serve', '--model', modelDir, '--port', '0', '--backend', 'wasm', '--max-tokens', '200'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    base = await new Promise<string>((resolve, reject) => {
      server.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
        if (m) resolve(m[1]!);
      });
      server.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
  });
  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('streams a chat completion to the official openai client, equal to the non-streamed answer', async () => {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'not-needed', maxRetries: 0 });
    expect((await client.models.list()).data.map((m) => m.id)).toEqual([name]);
    const messages: ChatMessage[] = [{ role: 'user', content: 'Where is the dog?' }];
    const expected = await reply(messages, 24);
    expect(expected.length).toBeGreaterThan(20);
    const stream = await client.chat.completions.create({ model: name, messages: messages as OpenAI.ChatCompletionMessageParam[], stream: true, max_tokens: 24, temperature: 0 });
    let content = '';
    let chunks = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta?.content) { content += choice.delta.content; chunks++; }
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    expect(content).toBe(expected);
    expect(chunks).toBeGreaterThan(3);
    expect(['stop', 'length']).toContain(finish);
    const whole = await client.chat.completions.create({ model: name, messages: messages as OpenAI.ChatCompletionMessageParam[], max_tokens: 24, temperature: 0 });
    expect(whole.choices[0]!.message.content).toBe(expected);
    expect(whole.usage!.completion_tokens).toBeGreaterThan(0);

    const [plain] = await model.generate(['The cat'], { maxNewTokens: 10 });
    const completion = await client.completions.create({ model: name, prompt: 'The cat', max_tokens: 10, temperature: 0 });
    expect(completion.choices[0]!.text).toBe(plain!.text);

    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
    await expect(client.completions.create({ model: name, prompt: 'x', max_tokens: 5000 })).rejects.toMatchObject({ status: 400, param: 'max_tokens' });
    // two streams at once: both complete, queued one after the other
    const both = await Promise.all([0, 1].map(async () => {
      let text = '';
      const s = await client.chat.completions.create({ model: name, messages: messages as OpenAI.ChatCompletionMessageParam[], stream: true, max_tokens: 24, temperature: 0 });
      for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? '';
      return text;
    }));
    expect(both).toEqual([expected, expected]);
  });

  it.skipIf(!chromium)('the chat page at / streams a reply in headless Chromium', async () => {
    const browser = Chromium.launch(chromium!);
    try {
      const page = await browser.open(`${base}/`);
      await page.until<string>("document.getElementById('model')?.textContent ?? ''", (v) => v === name);
      await page.evaluate("document.getElementById('input').focus()");
      await page.type('Where is the dog?');
      await page.pressEnter();
      const states = await page.until<{ state?: string; text: string; chunks?: string }>(
        "(() => { const m = document.querySelector('.assistant'); return m ? { state: m.dataset.state, text: m.textContent, chunks: m.dataset.chunks } : { text: '' }; })()",
        (v) => v.state === 'done');
      const last = states.at(-1)!;
      expect(await page.evaluate<string>("document.querySelector('.user').textContent")).toBe('Where is the dog?');
      expect(last.text).toBe(await reply([{ role: 'user', content: 'Where is the dog?' }], 128));
      expect(Number(last.chunks)).toBeGreaterThan(3);
      expect(await page.evaluate<number>("document.querySelectorAll('.error').length")).toBe(0);
    } finally {
      await browser.close();
    }
  });
});
