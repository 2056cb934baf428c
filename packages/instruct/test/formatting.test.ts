import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '@class-it/tokenizers/testing';
import {
  ChatTemplate, DEFAULT_TEMPLATE_TOKENS, ExampleFormatter, builtinTemplate, lengthBucketOrder, lossWeightsFromSpans,
  renderExample, formatStages, ownTextExample, replyStartInText,
} from '../src/formatting/index.js';
import type { InstructionExample } from '@class-it/core';
import type { TrainingSequence } from '@class-it/core';
import { ConfigError } from '@class-it/core';

const tokenizer = new CharTokenizer({ bos: '<s>', eos: '</s>', additional: DEFAULT_TEMPLATE_TOKENS });
const qa: InstructionExample = { kind: 'prompt-reply', prompt: 'What is two plus two?', reply: 'Four.' };

function formatter(opts: Partial<ConstructorParameters<typeof ExampleFormatter>[2]> = {}, template = builtinTemplate('default')) {
  return new ExampleFormatter(tokenizer, template, { lossOn: 'reply', truncation: 'left', maxLength: 512, ...opts });
}

/** The text of the tokens with weight 1. */
function weightedText(seq: TrainingSequence): string {
  return seq.ids.map((id, i) => (seq.lossWeights[i] ? tokenizer.idToToken(id) : '')).join('');
}

describe('chat templates', () => {
  it('renders the default template with HF semantics (bos, roles, eos per turn, generation prompt)', () => {
    const t = builtinTemplate('default');
    const msgs = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }];
    expect(t.render(msgs, { bos_token: '<s>', eos_token: '</s>' })).toBe('<s><|user|>\nHi</s>\n<|assistant|>\nHello</s>\n');
    expect(t.render(msgs.slice(0, 1), { bos_token: '<s>', eos_token: '</s>', addGenerationPrompt: true })).toBe('<s><|user|>\nHi</s>\n<|assistant|>\n');
  });

  it('renders a custom Jinja template and rejects unknown roles in the built-ins', () => {
    const t = new ChatTemplate("{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}");
    expect(t.render([{ role: 'user', content: 'x' }], { addGenerationPrompt: true })).toBe('[user] x\n[assistant] ');
    expect(() => builtinTemplate('default').render([{ role: 'robot', content: 'x' }])).toThrow(/unknown role: robot/);
    expect(() => new ChatTemplate('{% for %}')).toThrow(ConfigError);
  });
});

describe('loss masks', () => {
  it('puts loss on the reply and its end-of-turn only (completion-only); masked tokens weigh exactly 0', () => {
    const f = formatter();
    const seq = f.format(qa)!;
    expect(weightedText(seq)).toBe('Four.</s>\n');
    const text = tokenizer.decode(seq.ids);
    const replyStart = text.indexOf('Four.');
    seq.lossWeights.forEach((w, i) => {
      const [s] = tokenizer.encode(text, { addSpecialTokens: false }).offsets[i]!;
      expect(w).toBe(s >= replyStart ? 1 : 0);
    });
    expect(seq.lossWeights.filter((w) => w === 1).length).toBe(7); // 'Four.' + '</s>' (one token) + newline
  });

  it('lossOn: all weighs every token but the first (which nothing predicts)', () => {
    const seq = formatter({ lossOn: 'all' }).format(qa)!;
    expect(seq.lossWeights[0]).toBe(0);
    expect(seq.lossWeights.slice(1).every((w) => w === 1)).toBe(true);
  });

  it('masks every assistant turn of a multi-turn chat, and only those', () => {
    const chat: InstructionExample = { kind: 'messages', messages: [
      { role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hey' },
      { role: 'user', content: 'Bye' }, { role: 'assistant', content: 'Ciao' }] };
    expect(weightedText(formatter().format(chat)!)).toBe('Hey</s>\nCiao</s>\n');
  });

  it('works with the plain template (no role tokens)', () => {
    const seq = formatter({}, builtinTemplate('plain')).format(qa)!;
    expect(tokenizer.decode(seq.ids)).toBe('<s>User: What is two plus two?\nAssistant: Four.\n');
    expect(weightedText(seq)).toBe(' Four.\n');
  });

  it('rejects a template whose prefixes are not stable when masking by reply', () => {
    const unstable = new ChatTemplate("{{ messages | length }}{% for m in messages %}{{ m.content }}{% endfor %}");
    expect(() => renderExample(qa, unstable, {}, { lossOn: 'reply' })).toThrow(/not prefix-stable/);
    expect(renderExample(qa, unstable, {}, { lossOn: 'all' }).lossSpans).toEqual([[0, 27]]);
  });

  it('maps character spans to token weights by overlap', () => {
    expect(lossWeightsFromSpans([[0, 2], [2, 4], [4, 6], [6, 8]], [[3, 5]])).toEqual([0, 1, 1, 0]);
    expect(lossWeightsFromSpans([[0, 0], [0, 3], [3, 5]], [[0, 5]])).toEqual([0, 1, 1]);
  });

  it('counts the words of the example text, not the template markup', () => {
    expect(formatter().format(qa)!.words).toBe(6);
  });
});

describe('truncation', () => {
  const long: InstructionExample = { kind: 'prompt-reply', prompt: 'x'.repeat(100), reply: 'the answer' };
  it('left keeps the end (the reply) and zeroes the new first token', () => {
    const f = formatter({ maxLength: 30 });
    const seq = f.format(long)!;
    expect(seq.ids.length).toBe(30);
    expect(seq.lossWeights[0]).toBe(0);
    expect(weightedText(seq)).toBe('the answer</s>\n');
    expect(f.stats.truncated).toBe(1);
  });
  it('right keeps the start; a reply cut off entirely leaves no loss and the example is dropped', () => {
    const f = formatter({ maxLength: 30 });
    const right = formatter({ maxLength: 30, truncation: 'right' });
    expect(right.format(long)).toBeUndefined();
    expect(right.stats.droppedNoLoss).toBe(1);
    expect(f.format(long)).toBeDefined();
  });
  it('drop discards too-long examples and counts them', () => {
    const f = formatter({ maxLength: 30, truncation: 'drop' });
    expect(f.format(long)).toBeUndefined();
    expect(f.format(qa)).toBeUndefined();
    expect(f.stats.droppedTooLong).toBe(2);
    expect(formatter({ maxLength: 200, truncation: 'drop' }).format(qa)).toBeDefined();
  });
});

// Packing (segments, positions, no attention across examples) is the trainer's: runtime-tfjs training/batching.ts.
describe('bucketing and stages', () => {
  it('length bucketing keeps every sequence inside its window and is deterministic', () => {
    const many: TrainingSequence[] = Array.from({ length: 40 }, (_, i) => ({ ids: new Array(1 + ((i * 7) % 13)).fill(1), lossWeights: [], words: i }));
    const a = lengthBucketOrder(many, 4, 2, 3);
    expect(a).toEqual(lengthBucketOrder(many, 4, 2, 3));
    for (let w = 0; w < 5; w++) {
      expect(new Set(a.slice(w * 8, w * 8 + 8).map((s) => s.words))).toEqual(new Set(many.slice(w * 8, w * 8 + 8).map((s) => s.words)));
    }
    for (let b = 0; b < 10; b++) {
      const lens = a.slice(b * 4, b * 4 + 4).map((s) => s.ids.length);
      expect(lens).toEqual([...lens].sort((x, y) => x - y));
    }
  });
  it('formats stages in order and keeps stage settings', () => {
    const stages = formatStages([{ name: 'a', examples: [qa, qa], epochs: 2, schedule: 'reset' }], formatter());
    expect(stages[0]).toMatchObject({ name: 'a', epochs: 2, schedule: 'reset' });
    expect(stages[0]!.sequences).toHaveLength(2);
  });
});

describe('the dataset\'s own text (render: text)', () => {
  const own: InstructionExample = { kind: 'prompt-reply', prompt: 'What is two plus two?', reply: 'Four.', text: 'Q: What is two plus two?\nA: Four.', id: 'qa.jsonl:1' };

  it('turns an example with a text of its own into a text example that carries its first turn', () => {
    expect(ownTextExample(own)).toEqual({ kind: 'text', text: own.kind === 'prompt-reply' ? own.text : '', prompt: 'What is two plus two?', id: 'qa.jsonl:1' });
    const chat: InstructionExample = { kind: 'messages', text: 'sys. hi there. hello.', messages: [{ role: 'system', content: 'sys.' }, { role: 'user', content: 'hi there.' }, { role: 'assistant', content: 'hello.' }] };
    expect(ownTextExample(chat)).toMatchObject({ kind: 'text', prompt: 'hi there.' });
    expect(ownTextExample(qa)).toBeUndefined();
    const plain: InstructionExample = { kind: 'text', text: 'just text' };
    expect(ownTextExample(plain)).toBe(plain);
  });

  it('finds where the reply starts: after the prompt, else after the trimmed prompt; undefined when absent', () => {
    expect(replyStartInText('Q: abc\nA: d', 'abc')).toBe(6);
    expect(replyStartInText('Q: abc\nA: d', '  abc\n')).toBe(6);
    expect(replyStartInText('Q: abc\nA: d', 'xyz')).toBeUndefined();
    expect(replyStartInText('anything', '  ')).toBeUndefined();
  });

  it('trains on the text as it is (BOS first, no template): lossOn reply weighs what follows the prompt, all weighs everything', () => {
    const text = ownTextExample(own)!;
    const reply = formatter().format(text)!;
    expect(tokenizer.decode(reply.ids)).toBe('<s>Q: What is two plus two?\nA: Four.');
    expect(weightedText(reply)).toBe('\nA: Four.');
    const all = formatter({ lossOn: 'all' }).format(text)!;
    expect(all.lossWeights.slice(1).every((w) => w === 1)).toBe(true);
    // the words are those of the text trained on
    expect(reply.words).toBe(8);
  });

  it('refuses reply-only loss on a text that does not contain its prompt (the caller leaves such examples out)', () => {
    expect(() => formatter().format({ kind: 'text', text: 'A: Four.', prompt: 'What?', id: 'x:3' })).toThrow(/x:3, field 'text': the prompt is not in the example's text/);
  });
});
