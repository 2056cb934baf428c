/** Read a tokenizer directory: `tokenizer.json` (+ `tokenizer_config.json`), or GPT-2's `vocab.json` + `merges.txt`. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError, readJsonIfExists } from '@class-it/core';
import { BpeTokenizer, specialTokensFromConfig, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, type TokenizerSettings } from './tokenizer.js';

type Json = Record<string, any>;

/** `tokenizer_config.json` keys that `BpeTokenizer.save` rewrites; other keys are kept as they are. */
const MANAGED_CONFIG_KEYS = new Set([
  'tokenizer_class',
  'bos_token',
  'eos_token',
  'pad_token',
  'unk_token',
  'additional_special_tokens',
  'extra_special_tokens',
  'add_bos_token',
  'add_eos_token',
  'model_max_length',
  'clean_up_tokenization_spaces',
  'added_tokens_decoder',
]);

const readJson = (file: string): Promise<Json | undefined> => readJsonIfExists<Json>(file);

/**
 * Load the tokenizer of a model directory (or a path to a `tokenizer.json`). Special tokens come from
 * `tokenizer_config.json` when present, else from the usual names among the special added tokens.
 */
export async function loadTokenizer(dirOrFile: string): Promise<BpeTokenizer> {
  const isFile = dirOrFile.endsWith('.json') && (await fs.stat(dirOrFile).catch(() => null))?.isFile();
  const dir = isFile ? path.dirname(dirOrFile) : dirOrFile;
  const file = isFile ? dirOrFile : path.join(dir, TOKENIZER_FILE);
  const configFile = path.join(dir, TOKENIZER_CONFIG_FILE);
  let json = await readJson(file);
  if (json === undefined) json = await gpt2VocabMergesJson(dir);
  if (json === undefined) {
    throw new ConfigError(`no ${TOKENIZER_FILE} (nor vocab.json + merges.txt) in ${dir}`, { file });
  }
  const config = await readJson(configFile);
  const settings: Partial<TokenizerSettings> = {};
  if (config !== undefined) {
    settings.specialTokens = specialTokensFromConfig(config, configFile);
    if (typeof config.model_max_length === 'number' && config.model_max_length < 1e15) settings.modelMaxLength = config.model_max_length;
    if (typeof config.tokenizer_class === 'string') settings.tokenizerClass = config.tokenizer_class;
    settings.extraConfig = Object.fromEntries(Object.entries(config).filter(([k]) => !MANAGED_CONFIG_KEYS.has(k)));
  }
  return new BpeTokenizer(json, settings, file);
}

/** Build GPT-2's `tokenizer.json` from the older `vocab.json` + `merges.txt` pair. */
async function gpt2VocabMergesJson(dir: string): Promise<Json | undefined> {
  const vocabFile = path.join(dir, 'vocab.json');
  const vocab = await readJson(vocabFile);
  if (vocab === undefined) return undefined;
  let mergesText: string;
  try {
    mergesText = await fs.readFile(path.join(dir, 'merges.txt'), 'utf8');
  } catch {
    return undefined;
  }
  const merges = mergesText.split('\n').filter((line, i) => line.length > 0 && !(i === 0 && line.startsWith('#version')));
  const endOfText = '<|endoftext|>';
  return {
    version: '1.0',
    added_tokens: endOfText in vocab ? [{ id: vocab[endOfText], content: endOfText, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }] : [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}
