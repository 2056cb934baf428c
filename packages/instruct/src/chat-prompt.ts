/**
 * Chat prompts for generation: which template a checkpoint is talked to with, the token ids of a conversation
 * waiting for the assistant's reply, and the text that would mean the model started the next turn.
 *
 * The template is the checkpoint's own (`tokenizer_config.json` `chat_template`, which instruction tuning writes),
 * else the default role-token template when the tokenizer has the role tokens, else `plain`; choosing never changes
 * the model (unlike `chooseTemplate`, which may add role tokens before training).
 */
import { missingSingleTokens, type ChatMessage, type Tokenizer } from '@class-it/core';
import { ChatTemplate, DEFAULT_TEMPLATE_TOKENS, builtinTemplate, type TemplateTokens } from './formatting/chat-template.js';
import { checkpointChatTemplate } from './template-choice.js';

/** The chat template to generate with for the checkpoint in `dir` (see the file comment). */
export async function generationTemplate(dir: string, tokenizer: Tokenizer): Promise<ChatTemplate> {
  const own = await checkpointChatTemplate(dir);
  if (own) return new ChatTemplate(own, 'checkpoint');
  return builtinTemplate(missingSingleTokens(tokenizer, DEFAULT_TEMPLATE_TOKENS).length === 0 ? 'default' : 'plain');
}

/** `bos_token` / `eos_token` as HF passes them to a template: the tokenizer's special-token strings. */
export function templateTokens(tokenizer: Tokenizer): TemplateTokens {
  const { bos, eos } = tokenizer.specialTokens;
  return { ...(bos !== undefined ? { bos_token: bos } : {}), ...(eos !== undefined ? { eos_token: eos } : {}) };
}

/** Token ids of `messages` followed by the assistant's generation prompt, as HF
 *  `apply_chat_template(messages, add_generation_prompt=True, tokenize=True)` (no special tokens added). */
export function chatPromptIds(template: ChatTemplate, messages: ChatMessage[], tokenizer: Tokenizer): number[] {
  const text = template.render(messages, { ...templateTokens(tokenizer), addGenerationPrompt: true });
  return tokenizer.encode(text, { addSpecialTokens: false }).ids;
}

/**
 * Stop strings for an assistant reply: the text between a reply and the next user message, with special tokens
 * (whose ids end generation themselves, or are skipped in decoded text) and surrounding blanks removed, so a reply
 * may contain line breaks. `plain` gives `\nUser:`; the default template none (its turns end with EOS).
 */
export function turnStopStrings(template: ChatTemplate, tokenizer: Tokenizer): string[] {
  const reply = '\u0000reply\u0000';
  const next = '\u0000next\u0000';
  const text = template.render(
    [{ role: 'user', content: 'q' }, { role: 'assistant', content: reply }, { role: 'user', content: next }],
    templateTokens(tokenizer),
  );
  const start = text.indexOf(reply);
  const end = text.indexOf(next);
  if (start < 0 || end < start) return [];
  let between = text.slice(start + reply.length, end);
  const specials = [tokenizer.specialTokens.bos, tokenizer.specialTokens.eos, tokenizer.specialTokens.pad,
    ...(tokenizer.specialTokens.additional ?? []), ...DEFAULT_TEMPLATE_TOKENS].filter((t): t is string => !!t);
  for (const special of specials) between = between.split(special).join('');
  const leadingNewline = /^[ \t]*\n/.test(between) ? '\n' : '';
  const stop = leadingNewline + between.trim();
  return stop.trim() ? [stop] : [];
}
