/**
 * The OpenAI API shapes `class-it serve` speaks: reading /v1/completions and /v1/chat/completions bodies into a
 * generation job (errors as `ApiError`s with OpenAI's status, type, param and code), and the response objects and
 * stream chunks. Fields OpenAI has that a local model cannot honour (n > 1, logprobs, echo, penalties, tools) are
 * refused rather than ignored; `top_k` and `repetition_penalty` are accepted as extras (as vLLM does).
 */
import { ClassItError, DataError, typeOf, type ChatMessage, type FinishReason, type GenerationPrompt, type GenerationSettings } from '@class-it/core';
import { generationSettingsFrom, type FieldNames } from '../generation/settings.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  toJSON(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** Any error as the ApiError a client gets: bad input is a 400 naming the field, anything else a 500. */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DataError) return new ApiError(400, err.message, 'invalid_request_error', err.location.field ?? null);
  if (err instanceof ClassItError) return new ApiError(400, err.message);
  return new ApiError(500, `the server failed: ${(err as Error)?.message ?? String(err)}`, 'server_error');
}

const OPENAI_FIELDS: FieldNames = {
  max_tokens: 'maxNewTokens', max_completion_tokens: 'maxNewTokens', temperature: 'temperature', top_p: 'topP', stop: 'stop',
  seed: 'seed', top_k: 'topK', repetition_penalty: 'repetitionPenalty',
};

export interface ServeLimits {
  /** Largest `max_tokens` a request may ask for (also the default when it asks for none). */
  maxTokens: number;
  /** Longest prompt, in tokens. */
  maxPromptTokens: number;
  /** Prompts in one /v1/completions request at most. */
  maxPrompts: number;
}

export interface GenerationJob {
  kind: 'completion' | 'chat';
  prompts: GenerationPrompt[];
  settings: GenerationSettings;
  stream: boolean;
  includeUsage: boolean;
}

type Body = Record<string, unknown>;

function refuseUnsupported(body: Body): void {
  const refuse = (param: string, why: string) => {
    throw new ApiError(400, `${param} ${why} is not supported by this server`, 'invalid_request_error', param, 'unsupported_parameter');
  };
  if (body.n !== undefined && body.n !== null && body.n !== 1) refuse('n', '> 1');
  if (body.best_of !== undefined && body.best_of !== null && body.best_of !== 1) refuse('best_of', '> 1');
  if (body.echo === true) refuse('echo', '= true');
  for (const param of ['logprobs', 'top_logprobs', 'suffix', 'tools', 'functions', 'response_format']) {
    if (body[param] !== undefined && body[param] !== null && body[param] !== false) refuse(param, '');
  }
  for (const param of ['presence_penalty', 'frequency_penalty']) {
    if (body[param] !== undefined && body[param] !== null && body[param] !== 0) refuse(param, '(other than 0; see repetition_penalty)');
  }
  if (body.logit_bias && typeof body.logit_bias === 'object' && Object.keys(body.logit_bias).length > 0) refuse('logit_bias', '');
}

function commonSettings(body: Body, limits: ServeLimits, defaultMaxTokens: number): GenerationSettings {
  refuseUnsupported(body);
  const settings = generationSettingsFrom(body, OPENAI_FIELDS);
  const asked = settings.maxNewTokens;
  if (asked !== undefined && asked > limits.maxTokens) {
    throw new ApiError(400, `max_tokens is ${asked}; this server allows at most ${limits.maxTokens}`, 'invalid_request_error', 'max_tokens');
  }
  if (settings.stop && settings.stop.length > 4) throw new ApiError(400, 'stop takes at most 4 sequences', 'invalid_request_error', 'stop');
  return { ...settings, maxNewTokens: asked ?? Math.min(defaultMaxTokens, limits.maxTokens) };
}

function streamOptions(body: Body): { stream: boolean; includeUsage: boolean } {
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw new ApiError(400, `stream must be true or false, got ${typeOf(body.stream)}`, 'invalid_request_error', 'stream');
  }
  const options = body.stream_options as { include_usage?: unknown } | undefined | null;
  return { stream: body.stream === true, includeUsage: options?.include_usage === true };
}

const isTokenList = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x));

/** A /v1/completions body: `prompt` is a string, a list of strings, a token list, or a list of token lists. */
export function readCompletionRequest(body: Body, limits: ServeLimits, defaultMaxTokens: number): GenerationJob {
  const raw = body.prompt;
  let prompts: GenerationPrompt[];
  if (typeof raw === 'string') prompts = [raw];
  else if (isTokenList(raw)) prompts = [{ ids: raw }];
  else if (Array.isArray(raw) && raw.length > 0 && raw.every((p) => typeof p === 'string')) prompts = raw as string[];
  else if (Array.isArray(raw) && raw.length > 0 && raw.every(isTokenList)) prompts = (raw as number[][]).map((ids) => ({ ids }));
  else throw new ApiError(400, 'prompt must be a string, a list of strings, or token ids', 'invalid_request_error', 'prompt');
  if (prompts.length > limits.maxPrompts) {
    throw new ApiError(400, `at most ${limits.maxPrompts} prompts per request, got ${prompts.length}`, 'invalid_request_error', 'prompt');
  }
  return { kind: 'completion', prompts, settings: commonSettings(body, limits, defaultMaxTokens), ...streamOptions(body) };
}

/** The messages of a /v1/chat/completions body (content as a string or a list of text parts). */
export function readChatMessages(body: Body): ChatMessage[] {
  const raw = body.messages;
  if (!Array.isArray(raw) || raw.length === 0) throw new ApiError(400, 'messages must be a non-empty list', 'invalid_request_error', 'messages');
  return raw.map((m, i) => {
    const param = `messages[${i}]`;
    const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
    if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'developer') {
      throw new ApiError(400, `${param}.role must be system, user or assistant, got ${JSON.stringify(role)}`, 'invalid_request_error', `${param}.role`);
    }
    let text: string;
    if (typeof content === 'string') text = content;
    else if (Array.isArray(content) && content.every((p) => (p as { type?: unknown })?.type === 'text' && typeof (p as { text?: unknown }).text === 'string')) {
      text = (content as Array<{ text: string }>).map((p) => p.text).join('');
    } else {
      throw new ApiError(400, `${param}.content must be a string or a list of text parts`, 'invalid_request_error', `${param}.content`);
    }
    return { role: role === 'developer' ? 'system' : role, content: text };
  });
}

/** A /v1/chat/completions body, its conversation already turned into prompt ids by `render`. */
export function readChatRequest(body: Body, limits: ServeLimits, defaultMaxTokens: number, render: (messages: ChatMessage[]) => number[]): GenerationJob {
  const ids = render(readChatMessages(body));
  return { kind: 'chat', prompts: [{ ids }], settings: commonSettings(body, limits, defaultMaxTokens), ...streamOptions(body) };
}

/** OpenAI's finish reasons are `stop` and `length`; an aborted request has no client left to read it. */
export function finishReasonOf(reason: FinishReason): 'stop' | 'length' {
  return reason === 'length' ? 'length' : 'stop';
}
