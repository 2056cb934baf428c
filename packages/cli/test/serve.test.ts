/**
 * `class-it serve`'s server on a fake generator (no tensors): the OpenAI shapes (JSON and server-sent events),
 * OpenAI-style errors with their statuses, the caps, the one-at-a-time queue and a client that goes away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GenerationDefaults, GenerationOptions, GenerationOutput, GenerationPrompt, TextGenerator, TrainableModel } from '@class-it/core';
import { DEFAULT_TEMPLATE_TOKENS, builtinTemplate, chatPromptIds } from '@class-it/instruct';
import { CharTokenizer } from '@class-it/tokenizers/testing';
import { GenerationServer } from '../src/serve/server.js';
import type { Generator } from '../src/generation/load-generator.js';

const tokenizer = new CharTokenizer({ bos: '<s>', eos: '</s>', additional: DEFAULT_TEMPLATE_TOKENS });
const template = builtinTemplate('default');

/** Replies "ok:" + the last 3 prompt characters, one character per token every 5 ms; records what it was asked. */
class FakeModel {
  readonly tokenizer = tokenizer;
  readonly architecture = 'fake';
  readonly info = { architecture: 'fake', source: 'x', parameterCount: 1, backend: 'none', contextLength: 64 };
  readonly generationDefaults: GenerationDefaults = {
    maxNewTokens: 50, doSample: false, temperature: 1, topK: 50, topP: 1, repetitionPenalty: 1, eosTokenIds: [1], padTokenId: 1,
  };
  calls: Array<{ prompts: number[][]; options: GenerationOptions; start: number; end: number; aborted: boolean }> = [];

  async generate(prompts: GenerationPrompt[], options: GenerationOptions = {}): Promise<GenerationOutput[]> {
    const ids = prompts.map((p) => (typeof p === 'string' ? tokenizer.encode(p).ids : p.ids));
    const call = { prompts: ids, options, start: performance.now(), end: 0, aborted: false };
    this.calls.push(call);
    const outputs = await Promise.all(ids.map(async (prompt, index) => {
      const reply = 'ok:' + tokenizer.decode(prompt).slice(-3);
      const max = Math.min(options.maxNewTokens ?? 50, reply.length);
      let text = '';
      for (let i = 0; i < max; i++) {
        if (options.signal?.aborted) {
          call.aborted = true;
          return { text, ids: tokenizer.encode(text).ids, finishReason: 'abort' as const, promptTokens: prompt.length };
        }
        await sleep(5);
        text += reply[i];
        options.onToken?.({ index, tokenId: tokenizer.encode(reply[i]!).ids[0]!, text: reply[i]! });
      }
      return { text, ids: tokenizer.encode(text).ids, finishReason: max < reply.length ? 'length' as const : 'stop' as const, promptTokens: prompt.length };
    }));
    call.end = performance.now();
    return outputs;
  }
  dispose(): void {}
}

let model: FakeModel;
let server: GenerationServer;
let base: string;

beforeAll(async () => {
  model = new FakeModel();
  const generator = { model: model as unknown as TrainableModel & TextGenerator, template, name: 'tiny' } satisfies Generator;
  server = new GenerationServer(generator, { limits: { maxTokens: 20, maxPromptTokens: 40, maxPrompts: 4 }, maxBodyBytes: 2000, maxQueue: 4, seed: 0 });
  const address = await server.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${address.port}`;
});
afterAll(() => server?.close());

/** A response's JSON body, loosely typed for assertions. */
async function json(response: Response): Promise<any> {
  return response.json();
}

function post(path: string, body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) {
  return fetch(base + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** The `data:` payloads of a server-sent event stream. */
async function events(response: Response): Promise<string[]> {
  const text = await response.text();
  return text.split('\n\n').filter(Boolean).map((e) => {
    expect(e.startsWith('data: ')).toBe(true);
    return e.slice(6);
  });
}

describe('class-it serve (OpenAI-compatible)', () => {
  it('lists the model and serves the chat page', async () => {
    expect(await json(await fetch(`${base}/v1/models`))).toMatchObject({ object: 'list', data: [{ id: 'tiny', object: 'model', owned_by: 'class-it' }] });
    expect((await fetch(`${base}/v1/models/tiny`)).status).toBe(200);
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<form id="composer">');
  });

  it('answers a chat completion through the chat template, with usage', async () => {
    const response = await post('/v1/chat/completions', { model: 'tiny', messages: [{ role: 'user', content: 'hello' }], max_tokens: 10 });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({
      object: 'chat.completion', model: 'tiny',
      choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' }],
    });
    const prompt = chatPromptIds(template, [{ role: 'user', content: 'hello' }], tokenizer);
    expect(model.calls.at(-1)!.prompts).toEqual([prompt]);
    expect(body.choices[0].message.content).toBe('ok:' + tokenizer.decode(prompt).slice(-3));
    expect(body.usage).toEqual({ prompt_tokens: prompt.length, completion_tokens: 6, total_tokens: prompt.length + 6 });
    expect(body.id).toMatch(/^chatcmpl-/);
  });

  it('streams a chat completion as server-sent events: role, content deltas, finish reason, [DONE]', async () => {
    const response = await post('/v1/chat/completions', { model: 'tiny', messages: [{ role: 'user', content: 'abc' }], stream: true, stream_options: { include_usage: true } });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const data = await events(response);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const content = chunks.flatMap((c) => c.choices).map((c: { delta: { content?: string } }) => c.delta.content ?? '').join('');
    expect(content).toBe('ok:' + tokenizer.decode(model.calls.at(-1)!.prompts[0]!).slice(-3));
    expect(chunks.filter((c) => c.choices[0]?.delta?.content).length).toBe(6);
    expect(chunks.at(-2).choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 6 } });
  });

  it('completes several prompts (JSON and streamed), passing the settings on', async () => {
    const response = await post('/v1/completions', { model: 'tiny', prompt: ['one', 'two'], max_tokens: 4, temperature: 0.5, top_p: 0.9, seed: 3, stop: 'x' });
    const body = await json(response);
    expect(body.choices.map((c: { text: string; finish_reason: string }) => [c.text, c.finish_reason])).toEqual([['ok:o', 'length'], ['ok:t', 'length']]);
    expect(model.calls.at(-1)!.options).toMatchObject({ maxNewTokens: 4, temperature: 0.5, doSample: true, topP: 0.9, seed: 3, stop: ['x'] });
    const streamed = await events(await post('/v1/completions', { model: 'tiny', prompt: 'abc', stream: true }));
    const texts = streamed.slice(0, -1).map((d) => JSON.parse(d).choices[0]);
    expect(texts.map((c: { text: string }) => c.text).join('')).toBe('ok:abc');
    expect(texts.at(-1)).toMatchObject({ finish_reason: 'stop', text: '' });
    // without a seed, each request gets its own, derived from the server's
    expect(model.calls.at(-1)!.options.seed).toEqual(expect.any(Number));
  });

  it('refuses bad requests with OpenAI-style errors and the right status', async () => {
    const cases: Array<[Promise<Response>, number, Record<string, unknown>]> = [
      [post('/v1/chat/completions', { model: 'gpt-4', messages: [{ role: 'user', content: 'x' }] }), 404, { code: 'model_not_found', param: 'model' }],
      [post('/v1/chat/completions', { model: 'tiny', messages: [] }), 400, { param: 'messages', type: 'invalid_request_error' }],
      [post('/v1/chat/completions', { model: 'tiny', messages: [{ role: 'robot', content: 'x' }] }), 400, { param: 'messages[0].role' }],
      [post('/v1/completions', { model: 'tiny', prompt: 'x', temperature: -1 }), 400, { param: 'temperature' }],
      [post('/v1/completions', { model: 'tiny', prompt: 'x', top_p: 'high' }), 400, { param: 'top_p' }],
      [post('/v1/completions', { model: 'tiny', prompt: 'x', max_tokens: 21 }), 400, { param: 'max_tokens' }],
      [post('/v1/completions', { model: 'tiny', prompt: 'x', n: 2 }), 400, { param: 'n', code: 'unsupported_parameter' }],
      [post('/v1/completions', { model: 'tiny', prompt: 'x'.repeat(41) }), 400, { code: 'context_length_exceeded' }],
      [post('/v1/completions', { model: 'tiny', prompt: ['a', 'b', 'c', 'd', 'e'] }), 400, { param: 'prompt' }],
      [post('/v1/completions', { model: 'tiny' }), 400, { param: 'prompt' }],
      [post('/v1/completions', '{"model": "tiny", '), 400, { type: 'invalid_request_error' }],
      [post('/v1/completions', { model: 'tiny', prompt: 'y'.repeat(3000) }), 413, { code: 'request_too_large' }],
      [post('/v1/completions', 'model=tiny', { 'Content-Type': 'application/x-www-form-urlencoded' }), 415, {}],
      [fetch(`${base}/v1/completions`), 405, { code: 'method_not_allowed' }],
      [fetch(`${base}/v1/engines`), 404, { code: 'unknown_url' }],
      [fetch(`${base}/v1/models/other`), 404, { code: 'model_not_found' }],
    ];
    for (const [pending, status, error] of cases) {
      const response = await pending;
      const body = await json(response);
      expect({ status: response.status, error: body.error }).toMatchObject({ status, error: { message: expect.any(String), ...error } });
    }
  });

  it('runs concurrent requests one at a time, in arrival order, and answers 503 when the queue is full', async () => {
    const before = model.calls.length;
    const requests = [0, 1, 2, 3].map((i) => post('/v1/completions', { model: 'tiny', prompt: `p${i}`, stream: i % 2 === 0 }));
    await sleep(2);
    const overflow = await post('/v1/completions', { model: 'tiny', prompt: 'late' });
    expect(overflow.status).toBe(503);
    expect((await json(overflow)).error.code).toBe('queue_full');
    await Promise.all((await Promise.all(requests)).map((r) => r.text()));
    const calls = model.calls.slice(before);
    expect(calls.map((c) => tokenizer.decode(c.prompts[0]!))).toEqual(['p0', 'p1', 'p2', 'p3']);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.start).toBeGreaterThanOrEqual(calls[i - 1]!.end);
  });

  it('stops generating when a streaming client goes away', async () => {
    const controller = new AbortController();
    const aborting = fetch(base + '/v1/completions', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, signal: controller.signal,
      body: JSON.stringify({ model: 'tiny', prompt: 'qrstuv', stream: true }),
    });
    const reader = (await aborting).body!.getReader();
    await reader.read();
    controller.abort();
    await sleep(100);
    const call = model.calls.find((c) => tokenizer.decode(c.prompts[0]!) === 'qrstuv')!;
    expect(call.aborted).toBe(true);
  });
});
