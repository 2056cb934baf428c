import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PluginRegistry, isPluginDefinition, type InstructionDataset } from '@class-it/core';
import plugins from '../src/plugin.js';
import { SIMPLE_WIKI_HUB, createAlpacaDataset, createSimpleWikiDataset, createSquadDataset } from '../src/index.js';

const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/demo');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'qa-'));
const load = (ds: InstructionDataset, settings: Record<string, unknown>, badRows: 'fail' | 'skip' = 'fail') =>
  ds.load({ settings, baseDir: demo, cacheDir: tmp(), offline: true, badRows });
function write(name: string, content: unknown[] | string): string {
  const file = path.join(tmp(), name);
  writeFileSync(file, typeof content === 'string' ? content : content.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

describe('data-qa plugins', () => {
  it('register as dataset plugins', () => {
    expect(plugins.every(isPluginDefinition)).toBe(true);
    const reg = new PluginRegistry();
    for (const p of plugins) reg.register(p, { packageName: '@class-it/data-qa', packageVersion: '0.1.0' });
    expect(reg.list('dataset').map((p) => p.name)).toEqual(['alpaca', 'simple_wiki', 'squad']);
  });

  it('simple_wiki reads CLASS-IT columns (demo set) and defaults to the Hub config', async () => {
    const out = await load(createSimpleWikiDataset(), { path: 'qa.jsonl' });
    expect(out.examples.length).toBeGreaterThan(150);
    expect(out.examples[0]).toMatchObject({ kind: 'prompt-reply', source: 'demo-wiki' });
    // each row's own text is kept (trained on with render: text)
    expect(out.examples[0]).toMatchObject({ text: 'A sheep is an animal. A sheep bleats.\nRead this: A sheep is an animal. A sheep bleats. Question: what does a sheep do?\nIt bleats.' });
    expect(SIMPLE_WIKI_HUB).toBe('hf://datasets/colinglab/CLASS_IT/simple_wiki');
    await expect(load(createSimpleWikiDataset(), {})).rejects.toThrow(/offline mode: hf:\/\/datasets\/colinglab\/CLASS_IT\/simple_wiki/);
  });

  it('alpaca joins instruction and input; bad rows name file, line and field', async () => {
    const file = write('a.jsonl', [
      { instruction: 'Add the numbers.', input: '2 and 3', output: '5' },
      { instruction: 'Say hi.', input: '', output: 'Hi!' },
      { instruction: 'No output here.' },
      { instruction: 'Bad input', input: 3, output: 'x' },
    ]);
    const out = await load(createAlpacaDataset(), { path: file }, 'skip');
    expect(out.examples.map((e) => e.kind === 'prompt-reply' && [e.prompt, e.reply])).toEqual([['Add the numbers.\n\n2 and 3', '5'], ['Say hi.', 'Hi!']]);
    expect(out.skipped).toEqual([
      { where: `${file}:3, field 'output'`, reason: 'missing field' },
      { where: `${file}:4, field 'input'`, reason: 'expected a string, got number' },
    ]);
    await expect(load(createAlpacaDataset(), { path: file })).rejects.toThrow(`${file}:3, field 'output': missing field`);
  });

  it('squad accepts the HF layout, answer lists and the official nested JSON; skips unanswerable questions', async () => {
    const flat = write('s.jsonl', [
      { id: 'q1', context: 'Paris is in France.', question: 'Where is Paris?', answers: { text: ['France', 'in France'], answer_start: [12, 9] } },
      { id: 'q2', context: 'Cats purr.', question: 'What do cats do?', answers: [{ text: 'purr' }] },
      { id: 'q3', context: 'Nothing here.', question: 'Why?', answers: { text: [], answer_start: [] } },
      { id: 'q4', context: 'x', question: 'y', answers: 'z' },
    ]);
    const out = await load(createSquadDataset(), { path: flat }, 'skip');
    expect(out.examples).toEqual([
      { kind: 'prompt-reply', prompt: 'Paris is in France.\n\nQuestion: Where is Paris?', reply: 'France', id: 'q1' },
      { kind: 'prompt-reply', prompt: 'Cats purr.\n\nQuestion: What do cats do?', reply: 'purr', id: 'q2' },
    ]);
    expect(out.skipped.map((s) => s.where)).toEqual([`${flat}:4, field 'answers'`]);
    const withNoAnswer = await load(createSquadDataset(), { path: flat, unanswerable: 'No answer.', promptTemplate: 'Q: {question} C: {context}' }, 'skip');
    expect(withNoAnswer.examples[2]).toMatchObject({ prompt: 'Q: Why? C: Nothing here.', reply: 'No answer.' });
    const nested = write('squad.json', JSON.stringify({ version: '1.1', data: [{ title: 'T', paragraphs: [{ context: 'The sky is blue.', qas: [{ id: 'n1', question: 'What colour is the sky?', answers: [{ text: 'blue', answer_start: 11 }] }] }] }] }));
    const fromNested = await load(createSquadDataset(), { path: nested });
    expect(fromNested.examples).toEqual([{ kind: 'prompt-reply', prompt: 'The sky is blue.\n\nQuestion: What colour is the sky?', reply: 'blue', id: 'n1' }]);
  });
});
