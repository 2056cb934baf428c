/**
 * `class-it serve`'s HTTP server (node:http): the OpenAI-compatible endpoints /v1/models, /v1/completions and
 * /v1/chat/completions (JSON, or server-sent events with `stream: true`), and the chat page at `/`.
 *
 * One model, one KV cache: requests run one at a time in arrival order (`RequestQueue`), never interleaved; a full
 * queue answers 503. Bodies over `maxBodyBytes` answer 413, POSTs that are not JSON 415 (which also keeps other
 * web pages from posting to a local server without a CORS preflight), prompts over the limit 400. A client that
 * goes away stops its generation at the next token.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { deriveSeed, type GenerationOutput, type GenerationPrompt, type GenerationToken } from '@class-it/core';
import { chatPromptIds } from '@class-it/instruct';
import type { Generator } from '../generation/load-generator.js';
import {
  ApiError, asApiError, finishReasonOf, readChatRequest, readCompletionRequest, type GenerationJob, type ServeLimits,
} from './openai.js';

export interface ServeOptions {
  limits: ServeLimits;
  maxBodyBytes: number;
  /** Requests waiting or running at most. */
  maxQueue: number;
  /** Seeds of requests that give none derive from it. */
  seed: number;
}

/** Runs jobs one at a time, in the order they were queued. */
export class RequestQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(readonly capacity: number) {}

  get full(): boolean {
    return this.pending >= this.capacity;
  }

  /** The 503 a request gets when the queue is full. */
  busy(): ApiError {
    return new ApiError(503, `the server is busy (${this.pending} requests queued); retry later`, 'server_error', null, 'queue_full');
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.full) throw this.busy();
    this.pending++;
    const result = this.tail.then(job);
    this.tail = result.then(() => undefined, () => undefined).then(() => { this.pending--; });
    return result;
  }
}

const CHAT_PAGE = readFileSync(new URL('../../static/chat.html', import.meta.url), 'utf8');

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: http.ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end(`data: ${JSON.stringify(err.toJSON())}\n\n`);
    return;
  }
  sendJson(res, err.status, err.toJSON());
}

/** The request body as JSON, refusing bodies over `limit` bytes (413) and non-JSON (415, 400). */
async function readJsonBody(req: http.IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(415, `expected Content-Type application/json, got '${type || 'none'}'`);
  const declared = Number(req.headers['content-length']);
  const tooLarge = () => new ApiError(413, `the request body is larger than ${limit} bytes`, 'invalid_request_error', null, 'request_too_large');
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, 'We could not parse the JSON body of your request.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ApiError(400, 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

const ROUTES: Record<string, string[]> = {
  '/': ['GET'],
  '/v1/models': ['GET'],
  '/v1/completions': ['POST'],
  '/v1/chat/completions': ['POST'],
};

export class GenerationServer {
  readonly server: http.Server;
  private readonly queue: RequestQueue;
  private requests = 0;
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(private readonly generator: Generator, private readonly options: ServeOptions) {
    this.queue = new RequestQueue(options.maxQueue);
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => sendError(res, asApiError(err)));
    });
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve(this.server.address() as AddressInfo));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = url.pathname === '/index.html' ? '/' : url.pathname;
    const modelPath = route.startsWith('/v1/models/') ? decodeURIComponent(route.slice('/v1/models/'.length)) : undefined;
    const methods = modelPath !== undefined ? ['GET'] : ROUTES[route];
    if (!methods) throw new ApiError(404, `unknown path ${url.pathname}`, 'invalid_request_error', null, 'unknown_url');
    if (!methods.includes(req.method ?? '')) {
      res.setHeader('Allow', methods.join(', '));
      throw new ApiError(405, `${req.method} is not allowed on ${url.pathname} (use ${methods.join(', ')})`, 'invalid_request_error', null, 'method_not_allowed');
    }
    if (modelPath !== undefined) {
      if (modelPath !== this.generator.name) throw this.unknownModel(modelPath);
      return sendJson(res, 200, this.modelObject());
    }
    if (route === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      return void res.end(CHAT_PAGE);
    }
    if (route === '/v1/models') return sendJson(res, 200, { object: 'list', data: [this.modelObject()] });

    const body = await readJsonBody(req, this.options.maxBodyBytes);
    if (typeof body.model !== 'string') throw new ApiError(400, 'model must be a string', 'invalid_request_error', 'model');
    if (body.model !== this.generator.name) throw this.unknownModel(body.model);
    const { model, template } = this.generator;
    const defaultMaxTokens = model.generationDefaults.maxNewTokens;
    const job = route === '/v1/completions'
      ? readCompletionRequest(body, this.options.limits, defaultMaxTokens)
      : readChatRequest(body, this.options.limits, defaultMaxTokens, (messages) => chatPromptIds(template, messages, model.tokenizer));
    job.prompts = job.prompts.map((p) => this.checkedPrompt(p));
    await this.run(job, res);
  }

  private unknownModel(name: string): ApiError {
    return new ApiError(404, `The model '${name}' does not exist (this server has '${this.generator.name}')`, 'invalid_request_error', 'model', 'model_not_found');
  }

  private modelObject(): Record<string, unknown> {
    return { id: this.generator.name, object: 'model', created: this.created, owned_by: 'class-it' };
  }

  /** The prompt as token ids, refused when longer than the limit. */
  private checkedPrompt(prompt: GenerationPrompt): GenerationPrompt {
    const ids = typeof prompt === 'string' ? this.generator.model.tokenizer.encode(prompt).ids : prompt.ids;
    const limit = this.options.limits.maxPromptTokens;
    if (ids.length > limit) {
      throw new ApiError(400, `the prompt has ${ids.length} tokens; this server takes at most ${limit}`, 'invalid_request_error', 'prompt', 'context_length_exceeded');
    }
    return { ids };
  }

  private async run(job: GenerationJob, res: http.ServerResponse): Promise<void> {
    const chat = job.kind === 'chat';
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${++this.requests}`;
    const head = { id, object: chat ? 'chat.completion' : 'text_completion', created: Math.floor(Date.now() / 1000), model: this.generator.name };
    const chunkHead = { ...head, object: chat ? 'chat.completion.chunk' : 'text_completion' };
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    if (this.queue.full) throw this.queue.busy(); // before any header is sent
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    if (job.stream) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
      if (chat) send({ ...chunkHead, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    }
    const onToken = (t: GenerationToken) => {
      if (!t.text) return;
      send({ ...chunkHead, choices: [chat
        ? { index: t.index, delta: { content: t.text }, logprobs: null, finish_reason: null }
        : { text: t.text, index: t.index, logprobs: null, finish_reason: null }] });
    };
    const seed = job.settings.seed ?? deriveSeed(this.options.seed, id);
    const outputs = await this.queue.run(async () => controller.signal.aborted ? undefined
      : this.generator.model.generate(job.prompts, { ...job.settings, seed, signal: controller.signal, ...(job.stream ? { onToken } : {}) }));
    if (!outputs || controller.signal.aborted) return;
    const usage = usageOf(outputs);
    if (!job.stream) {
      const choices = outputs.map((out, index) => chat
        ? { index, message: { role: 'assistant', content: out.text }, logprobs: null, finish_reason: finishReasonOf(out.finishReason) }
        : { text: out.text, index, logprobs: null, finish_reason: finishReasonOf(out.finishReason) });
      return sendJson(res, 200, { ...head, choices, usage });
    }
    outputs.forEach((out, index) => send({ ...chunkHead, choices: [chat
      ? { index, delta: {}, logprobs: null, finish_reason: finishReasonOf(out.finishReason) }
      : { text: '', index, logprobs: null, finish_reason: finishReasonOf(out.finishReason) }] }));
    if (job.includeUsage) send({ ...chunkHead, choices: [], usage });
    res.end('data: [DONE]\n\n');
  }
}

function usageOf(outputs: GenerationOutput[]): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const prompt = outputs.reduce((n, o) => n + o.promptTokens, 0);
  const completion = outputs.reduce((n, o) => n + o.ids.length, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
