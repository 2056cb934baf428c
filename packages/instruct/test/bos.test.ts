/**
 * Where BOS goes in instruction-tuning sequences: where the chat template puts `{{ bos_token }}` (HF
 * `apply_chat_template` semantics; the rendered text is tokenised without adding special tokens). With a tokenizer
 * that adds BOS (LLaMA style) that is exactly one BOS first, the same start as `tokenizer.encode` gives a sentence at
 * evaluation and a line in pretraining; it is never doubled.
 */
import { describe, expect, it } from 'vitest';
import type { InstructionExample } from '@class-it/core';
import { addsBos } from '@class-it/core';
import { trainByteLevelBpe } from '@class-it/tokenizers';
import { DEFAULT_TEMPLATE_TOKENS, ExampleFormatter, builtinTemplate } from '../src/formatting/index.js';

const TEXTS = ['What is two plus two?', 'Four.', 'the cat sat on the mat', 'User: Assistant: hello'];
const qa: InstructionExample = { kind: 'prompt-reply', prompt: 'What is two plus two?', reply: 'Four.' };

describe('BOS in instruction-tuning sequences', () => {
  it('a BOS tokenizer: one BOS first (never scored, never doubled), for both built-in templates', () => {
    const tok = trainByteLevelBpe(TEXTS, { vocabSize: 300, specialTokens: { bos: '<s>', eos: '</s>', pad: '<pad>', additional: DEFAULT_TEMPLATE_TOKENS }, addBos: true });
    expect(addsBos(tok)).toBe(true);
    const bos = tok.specialId('bos')!;
    for (const name of ['default', 'plain']) {
      const formatter = new ExampleFormatter(tok, builtinTemplate(name), { lossOn: 'reply', truncation: 'left', maxLength: 512 });
      const seq = formatter.format(qa)!;
      expect(seq.ids[0]).toBe(bos);
      expect(seq.ids.filter((id) => id === bos)).toHaveLength(1);
      expect(seq.lossWeights[0]).toBe(0);
      // The same start the tokenizer gives any text by itself (as scoring and pretraining tokenise).
      const rendered = builtinTemplate(name).render([{ role: 'user', content: qa.prompt }, { role: 'assistant', content: qa.reply }], { bos_token: '', eos_token: '</s>' });
      expect(seq.ids).toEqual(tok.encode(rendered).ids);
    }
  });

  it('a GPT-2 style tokenizer (adds no BOS): the template still opens with its bos_token <|endoftext|>, as HF does', () => {
    const tok = trainByteLevelBpe(TEXTS, { vocabSize: 300, specialTokens: { bos: '<|endoftext|>', eos: '<|endoftext|>', pad: '<|pad|>', additional: DEFAULT_TEMPLATE_TOKENS } });
    expect(addsBos(tok)).toBe(false);
    const seq = new ExampleFormatter(tok, builtinTemplate('default'), { lossOn: 'reply', truncation: 'left', maxLength: 512 }).format(qa)!;
    // In pretraining every line but a chunk's first follows this token (the EOS between packed lines).
    expect(seq.ids[0]).toBe(tok.specialId('eos'));
    expect(seq.lossWeights[0]).toBe(0);
  });
});
