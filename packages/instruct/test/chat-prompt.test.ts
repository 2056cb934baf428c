import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from '@class-it/tokenizers/testing';
import { DEFAULT_TEMPLATE_TOKENS, builtinTemplate, chatPromptIds, generationTemplate, turnStopStrings } from '../src/index.js';

const withRoles = new CharTokenizer({ bos: '<s>', eos: '</s>', additional: DEFAULT_TEMPLATE_TOKENS });
const withoutRoles = new CharTokenizer({ eos: '</s>' });
const work = mkdtempSync(path.join(tmpdir(), 'chat-prompt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('chat prompts for generation', () => {
  it('uses the checkpoint\'s own template, else default with role tokens, else plain', async () => {
    expect((await generationTemplate(work, withRoles)).name).toBe('default');
    expect((await generationTemplate(work, withoutRoles)).name).toBe('plain');
    writeFileSync(path.join(work, 'tokenizer_config.json'), JSON.stringify({ chat_template: '{{ messages[0].content }}' }));
    const own = await generationTemplate(work, withoutRoles);
    expect(own.name).toBe('checkpoint');
    expect(own.render([{ role: 'user', content: 'hi' }])).toBe('hi');
    // transformers 5 saves it beside, in chat_template.jinja, which wins
    writeFileSync(path.join(work, 'chat_template.jinja'), '[{{ messages[0].content }}]');
    expect((await generationTemplate(work, withoutRoles)).render([{ role: 'user', content: 'hi' }])).toBe('[hi]');
  });

  it('renders with the generation prompt and the tokenizer\'s BOS/EOS, tokenised without adding special tokens', () => {
    const ids = chatPromptIds(builtinTemplate('default'), [{ role: 'user', content: 'Hi' }], withRoles);
    expect(ids.map((id) => withRoles.idToToken(id)).join('')).toBe('<s><|user|>\nHi</s>\n<|assistant|>\n');
    expect(ids.filter((id) => id === withRoles.specialId('bos'))).toHaveLength(1);
  });

  it('stops a reply where the next user turn would begin (plain); the default template ends turns with EOS', () => {
    expect(turnStopStrings(builtinTemplate('plain'), withoutRoles)).toEqual(['\nUser:']);
    expect(turnStopStrings(builtinTemplate('default'), withRoles)).toEqual([]);
  });
});
