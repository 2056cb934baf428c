import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DataError, PluginRegistry, isPluginDefinition, type InstructionDataset } from '@class-it/core';
import plugins from '../src/plugin.js';
import { buildTranscriptPairs, createChatDataset, createShareGptDataset, createSwitchboardDataset, parseTranscript, TranscriptDataset, SWITCHBOARD_HUB } from '../src/index.js';

const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/demo');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'conv-'));
const load = (ds: InstructionDataset, settings: Record<string, unknown>, badRows: 'fail' | 'skip' = 'fail', baseDir = demo) =>
  ds.load({ settings, baseDir, cacheDir: tmp(), offline: true, badRows });
function write(name: string, lines: unknown[]): string {
  const file = path.join(tmp(), name);
  writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

describe('plugin module', () => {
  it('default-exports dataset definitions that register', () => {
    expect(plugins.every(isPluginDefinition)).toBe(true);
    const reg = new PluginRegistry();
    for (const p of plugins) reg.register(p, { packageName: '@class-it/data-conversational', packageVersion: '0.1.0' });
    expect(reg.list('dataset').map((p) => p.name)).toEqual(['chat', 'dialogue-transcript', 'sharegpt', 'switchboard']);
    expect(reg.get('dataset', 'switchboard').name).toBe('switchboard');
  });
});

describe('switchboard (CLASS-IT columns)', () => {
  it('reads the demo set from JSONL and parquet alike', async () => {
    const ds = createSwitchboardDataset();
    const jsonl = await load(ds, { path: 'conversational.jsonl' });
    const parquet = await load(ds, { path: 'conversational.parquet' });
    expect(jsonl.examples).toHaveLength(300);
    expect(parquet.examples).toHaveLength(120);
    expect(parquet.examples.map((e) => e.kind === 'prompt-reply' && [e.prompt, e.reply, e.source]))
      .toEqual(jsonl.examples.slice(0, 120).map((e) => e.kind === 'prompt-reply' && [e.prompt, e.reply, e.source]));
  });
  it('keeps each row\'s own text (for render: text), from JSONL and parquet; a row without one has none, a non-string one is a bad row', async () => {
    const ds = createSwitchboardDataset();
    const jsonl = await load(ds, { path: 'conversational.jsonl' });
    const parquet = await load(ds, { path: 'conversational.parquet' });
    expect(jsonl.examples[0]).toMatchObject({ kind: 'prompt-reply', prompt: 'A: Do you have a big family?', text: 'A: Do you have a big family?\nB: Very big, we have lots of cousins. It is better than it used to be.' });
    expect(parquet.examples.map((e) => e.kind === 'prompt-reply' && e.text)).toEqual(jsonl.examples.slice(0, 120).map((e) => e.kind === 'prompt-reply' && e.text));
    const file = write('rows.jsonl', [{ prompt: 'p', reply: 'r' }, { prompt: 'p', reply: 'r', text: 'p r' }, { prompt: 'p', reply: 'r', text: 3 }]);
    const mixed = await load(ds, { path: file }, 'skip');
    expect(mixed.examples.map((e) => (e.kind === 'prompt-reply' ? e.text : null))).toEqual([undefined, 'p r']);
    expect(mixed.skipped).toEqual([{ where: expect.stringMatching(/rows\.jsonl:3, field 'text'$/), reason: 'expected a string, got number' }]);
  });
  it('defaults to the CLASS-IT Hub config and says so offline', async () => {
    expect(SWITCHBOARD_HUB).toBe('hf://datasets/colinglab/CLASS_IT/switchboard');
    await expect(load(createSwitchboardDataset(), {})).rejects.toThrow(/offline mode: hf:\/\/datasets\/colinglab\/CLASS_IT\/switchboard/);
  });
});

describe('chat messages and ShareGPT', () => {
  it('reads messages rows and reports bad ones by file, line and field', async () => {
    const file = write('chat.jsonl', [
      { messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }] },
      { messages: [{ role: 'user', content: 'Hi' }, { role: 'robot', content: 'beep' }] },
      { messages: [{ role: 'user', content: 'only a question' }] },
      { messages: 'not a list' },
      { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 7 }] },
    ]);
    await expect(load(createChatDataset(), { path: file })).rejects.toThrow(`${file}:2, field 'messages[1].role': role must be one of system, user, assistant, got "robot"`);
    const out = await load(createChatDataset(), { path: file }, 'skip');
    expect(out.examples).toEqual([{ kind: 'messages', messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }], source: undefined, id: 'chat.jsonl:1' }]);
    expect(out.skipped.map((s) => s.where)).toEqual([
      `${file}:2, field 'messages[1].role'`, `${file}:3, field 'messages'`, `${file}:4, field 'messages'`, `${file}:5, field 'messages[1].content'`,
    ]);
    expect(out.skipped[1]!.reason).toBe('no assistant message to learn from');
  });
  it('maps ShareGPT speakers to roles', async () => {
    const file = write('sg.jsonl', [
      { conversations: [{ from: 'human', value: 'Q?' }, { from: 'gpt', value: 'A.' }, { from: 'human', value: 'Q2?' }, { from: 'gpt', value: 'A2.' }] },
      { conversations: [{ from: 'narrator', value: 'x' }] },
    ]);
    const out = await load(createShareGptDataset(), { path: file }, 'skip');
    expect(out.examples[0]).toMatchObject({ kind: 'messages', messages: [{ role: 'user', content: 'Q?' }, { role: 'assistant', content: 'A.' }, { role: 'user', content: 'Q2?' }, { role: 'assistant', content: 'A2.' }] });
    expect(out.skipped[0]!.where).toBe(`${file}:2, field 'conversations[0].from'`);
  });
});

describe('dialogue transcripts', () => {
  const text = 'A: Hi there.\nB: Hello.\nHow are you?\nA: Fine.\nA: Thanks for asking.\nB: Good.\n\nA: New call.\nB: Yes?\n';
  it('parses turns: same-speaker lines merge, untagged lines continue, blank lines end a conversation', () => {
    const convs = parseTranscript(text, 't.txt');
    expect(convs.map((c) => c.map((t) => `${t.speaker}|${t.text}`))).toEqual([
      ['A|Hi there.', 'B|Hello. How are you?', 'A|Fine. Thanks for asking.', 'B|Good.'],
      ['A|New call.', 'B|Yes?'],
    ]);
  });
  it('builds (last N turns → next turn) pairs that never cross conversations', () => {
    const pairs = buildTranscriptPairs(text, '/x/t.txt', { window: 2, minContext: 1, speakerTags: true });
    expect(pairs.map((p) => p.kind === 'prompt-reply' && [p.prompt, p.reply])).toEqual([
      ['A: Hi there.', 'Hello. How are you?'],
      ['A: Hi there.\nB: Hello. How are you?', 'Fine. Thanks for asking.'],
      ['B: Hello. How are you?\nA: Fine. Thanks for asking.', 'Good.'],
      ['A: New call.', 'Yes?'],
    ]);
    expect(pairs[1]!.id).toBe('t.txt:4');
    const wide = buildTranscriptPairs(text, 't.txt', { window: 3, minContext: 2, speakerTags: false });
    expect(wide.map((p) => p.kind === 'prompt-reply' && p.prompt)).toEqual(['Hi there.\nHello. How are you?', 'Hi there.\nHello. How are you?\nFine. Thanks for asking.']);
  });
  it('loads the demo transcript, and treats an untagged opening line as a bad row', async () => {
    const out = await load(new TranscriptDataset(), { path: 'transcript.txt', window: 3 });
    expect(out.examples.length).toBeGreaterThan(100);
    const file = write('bad.txt', ['A: hi', 'B: yo', '', 'orphan line', 'A: again', 'B: ok']);
    await expect(load(new TranscriptDataset(), { path: file })).rejects.toThrow(DataError);
    await expect(load(new TranscriptDataset(), { path: file })).rejects.toThrow(`${file}:4, field 'speaker'`);
    const skipped = await load(new TranscriptDataset(), { path: file }, 'skip');
    expect(skipped.examples).toHaveLength(2);
    expect(skipped.skipped).toHaveLength(1);
  });
});
