/**
 * Choosing the chat template for a base checkpoint, and making sure its role tokens exist.
 *
 * Role tokens (`<|system|>`, `<|user|>`, `<|assistant|>`) must each encode to one token. The recommended way is to
 * pretrain with them (core's pretraining adds them to the tokenizer's special tokens). A checkpoint without them
 * gets them only if its model offers the optional hook `addSpecialTokens(tokens)` (which must add the tokens to
 * the model's tokenizer and resize the embeddings); otherwise `template: auto` falls back to the `plain`
 * template, which needs no new tokens, and `template: default` stops with a clear error.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { canAddTokens, missingSingleTokens, type TrainableModel } from '@class-it/core';
import { ConfigError } from '@class-it/core';
import { ChatTemplate, DEFAULT_TEMPLATE_TOKENS, builtinTemplate } from './formatting/chat-template.js';
import type { FormattingConfig } from './formatting/schema.js';

/** A checkpoint's own chat template: `chat_template.jinja` (where recent transformers versions save it) or the
 *  `chat_template` field of `tokenizer_config.json`; undefined when it has neither. */
export async function checkpointChatTemplate(baseModelDir: string): Promise<string | undefined> {
  const jinja = await fs.readFile(path.join(baseModelDir, 'chat_template.jinja'), 'utf8').catch(() => '');
  if (jinja) return jinja;
  try {
    const cfg = JSON.parse(await fs.readFile(path.join(baseModelDir, 'tokenizer_config.json'), 'utf8')) as { chat_template?: unknown };
    return typeof cfg.chat_template === 'string' && cfg.chat_template ? cfg.chat_template : undefined;
  } catch {
    return undefined;
  }
}

export async function chooseTemplate(
  setting: FormattingConfig['template'],
  model: TrainableModel,
  baseModelDir: string,
  log: (line: string) => void,
): Promise<ChatTemplate> {
  if (typeof setting === 'object') return new ChatTemplate(setting.jinja, 'custom');
  if (setting === 'plain') return builtinTemplate('plain');
  if (setting === 'checkpoint' || setting === 'auto') {
    const own = await checkpointChatTemplate(baseModelDir);
    if (own) {
      log('chat template: the checkpoint\'s own (tokenizer_config.json chat_template)');
      return new ChatTemplate(own, 'checkpoint');
    }
    if (setting === 'checkpoint') {
      throw new ConfigError(`the base checkpoint ${baseModelDir} has no chat_template in tokenizer_config.json`, { field: 'formatting.template' });
    }
  }
  // `default`, or `auto` without a checkpoint template.
  let missing = missingSingleTokens(model.tokenizer, DEFAULT_TEMPLATE_TOKENS);
  if (missing.length > 0 && canAddTokens(model)) {
    log(`adding role tokens ${missing.join(' ')} to the tokenizer (embeddings resized)`);
    await model.addSpecialTokens(missing);
    missing = missingSingleTokens(model.tokenizer, DEFAULT_TEMPLATE_TOKENS);
  }
  if (missing.length === 0) {
    log('chat template: default (role tokens)');
    return builtinTemplate('default');
  }
  if (setting === 'auto') {
    log(`chat template: plain (the tokenizer lacks ${missing.join(' ')} and the model cannot add tokens; pretrain with role tokens to use the default template)`);
    return builtinTemplate('plain');
  }
  throw new ConfigError(`the default chat template needs the role tokens ${missing.join(' ')} as single tokens, but the tokenizer of ${baseModelDir} ` +
    `lacks them and the model cannot add tokens; pretrain with them, or use formatting.template: plain or auto`, { field: 'formatting.template' });
}
