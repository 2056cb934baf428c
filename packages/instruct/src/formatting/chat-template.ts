/**
 * Chat templates with Hugging Face semantics: a Jinja template rendered (by @huggingface/jinja) with `messages`
 * (`[{role, content}]`), `add_generation_prompt`, `bos_token` and `eos_token`, exactly as
 * `tokenizer.apply_chat_template` does; the rendered text is then tokenised without adding special tokens.
 *
 * Two built-in templates:
 * - `default`: each turn is `<|role|>\n{content}{eos}\n` (the EOS token ends a turn); the role markers are special
 *   tokens that must be in the tokenizer (pretrain with them, or let the instruct job add them when the model
 *   supports it).
 * - `plain`: `User: ...` / `Assistant: ...` lines; needs no new tokens (for tokenizers without role tokens).
 */
import { Template } from '@huggingface/jinja';
import type { ChatMessage } from '@class-it/core';
import { ConfigError } from '@class-it/core';

export const ROLE_TOKENS = { system: '<|system|>', user: '<|user|>', assistant: '<|assistant|>' } as const;
/** Special tokens the default template needs in the tokenizer. */
export const DEFAULT_TEMPLATE_TOKENS: string[] = [ROLE_TOKENS.system, ROLE_TOKENS.user, ROLE_TOKENS.assistant];

export const DEFAULT_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}" +
  "{% if message['role'] not in ['system', 'user', 'assistant'] %}{{ raise_exception('unknown role: ' + message['role']) }}{% endif %}" +
  "{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

export const PLAIN_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}" +
  "{% if message['role'] == 'user' %}{{ 'User: ' }}{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' }}" +
  "{% elif message['role'] == 'system' %}{{ 'System: ' }}{% else %}{{ raise_exception('unknown role: ' + message['role']) }}{% endif %}" +
  "{{ message['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

export const BUILTIN_TEMPLATES: Record<string, string> = { default: DEFAULT_CHAT_TEMPLATE, plain: PLAIN_CHAT_TEMPLATE };

export interface TemplateTokens {
  bos_token?: string;
  eos_token?: string;
}

export class ChatTemplate {
  private readonly template: Template;

  constructor(readonly source: string, readonly name = 'custom') {
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new ConfigError(`chat template '${name}' does not parse: ${(err as Error).message}`, { field: 'formatting.template' });
    }
  }

  render(messages: ChatMessage[], options: TemplateTokens & { addGenerationPrompt?: boolean } = {}): string {
    try {
      return this.template.render({
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? false,
        bos_token: options.bos_token ?? '',
        eos_token: options.eos_token ?? '',
      });
    } catch (err) {
      throw new ConfigError(`chat template '${this.name}' failed to render: ${(err as Error).message}`, { field: 'formatting.template' });
    }
  }
}

export function builtinTemplate(name: string): ChatTemplate {
  const source = BUILTIN_TEMPLATES[name];
  if (!source) throw new ConfigError(`unknown chat template '${name}' (built-in: ${Object.keys(BUILTIN_TEMPLATES).join(', ')})`, { field: 'formatting.template' });
  return new ChatTemplate(source, name);
}
