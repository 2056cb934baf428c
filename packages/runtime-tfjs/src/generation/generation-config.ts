/**
 * A checkpoint's generation defaults: its `generation_config.json` (HF `GenerationConfig` field names) when it has
 * one, the model config's token ids otherwise, and HF's own defaults for the rest (greedy; temperature 1, top-k 50,
 * top-p 1 when sampling). HF's default `max_length: 20` (prompt included) is not followed: without
 * `max_new_tokens` a call generates up to `DEFAULT_MAX_NEW_TOKENS` new tokens.
 */
import path from 'node:path';
import { DataError, readJsonObjectIfExists, typeOf, type GenerationDefaults, type Tokenizer } from '@class-it/core';

export const GENERATION_CONFIG_FILE = 'generation_config.json';
export const DEFAULT_MAX_NEW_TOKENS = 128;

/** The JSON of `dir/generation_config.json`, or undefined when the checkpoint has none. */
export function readGenerationConfig(dir: string): Promise<Record<string, unknown> | undefined> {
  return readJsonObjectIfExists(path.join(dir, GENERATION_CONFIG_FILE));
}

/**
 * Resolve the defaults. `generationConfig` is the parsed generation_config.json (or undefined); `modelConfig`
 * the HF model config (its `eos_token_id` / `pad_token_id` stand in when the generation config has none, as HF's
 * `GenerationConfig.from_model_config`); the tokenizer's EOS and PAD come last.
 */
export function resolveGenerationDefaults(
  generationConfig: Record<string, unknown> | undefined,
  modelConfig: Record<string, unknown>,
  tokenizer: Tokenizer,
  file = GENERATION_CONFIG_FILE,
): GenerationDefaults {
  const gc = generationConfig ?? {};
  const field = <T>(name: string, check: (v: unknown) => v is T, expected: string): T | undefined => {
    const v = gc[name];
    if (v === undefined || v === null) return undefined;
    if (!check(v)) throw new DataError(`expected ${expected}, got ${typeOf(v)} ${JSON.stringify(v)}`, { file, field: name });
    return v;
  };
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  const isIds = (v: unknown): v is number | number[] => isInt(v) || (Array.isArray(v) && v.every(isInt));
  const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

  const ids = (v: number | number[] | undefined): number[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const fromModel = (name: string): number[] => (isIds(modelConfig[name]) ? ids(modelConfig[name] as number | number[]) : []);
  const tokenizerEos = tokenizer.specialId('eos');
  let eosTokenIds = ids(field('eos_token_id', isIds, 'a token id or a list of them'));
  if (eosTokenIds.length === 0) eosTokenIds = fromModel('eos_token_id');
  if (eosTokenIds.length === 0 && tokenizerEos !== undefined) eosTokenIds = [tokenizerEos];
  const pad = field('pad_token_id', isInt, 'a token id') ?? fromModel('pad_token_id')[0] ?? tokenizer.specialId('pad') ?? eosTokenIds[0] ?? 0;

  return {
    maxNewTokens: field('max_new_tokens', (v): v is number => isInt(v) && v >= 1, 'an integer >= 1') ?? DEFAULT_MAX_NEW_TOKENS,
    doSample: field('do_sample', isBool, 'true or false') ?? false,
    temperature: field('temperature', isNumber, 'a number') ?? 1,
    topK: field('top_k', isInt, 'an integer >= 0') ?? 50,
    topP: field('top_p', isNumber, 'a number') ?? 1,
    repetitionPenalty: field('repetition_penalty', isNumber, 'a number') ?? 1,
    eosTokenIds,
    padTokenId: pad,
  };
}
