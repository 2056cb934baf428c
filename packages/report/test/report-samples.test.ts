/** The report's samples: each condition's answers to the same prompts, side by side (markdown, HTML, CSV). */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLES_FILE, type SamplesRecord } from '@class-it/core';
import { loadRunResults, writeRunReport } from '../src/index.js';
import { writeSyntheticRun } from '../src/testing/index.js';

async function writeSamples(runDir: string, cell: string, answers: string[], finish: 'stop' | 'length' = 'stop'): Promise<void> {
  const record: SamplesRecord = {
    maxNewTokens: 16,
    samples: [
      { prompt: 'Where is the dog?', text: answers[0]!, finishReason: finish },
      { prompt: 'Say hi.', text: answers[1]!, finishReason: 'stop' },
    ],
  };
  await fs.writeFile(path.join(runDir, 'cells', cell, SAMPLES_FILE), JSON.stringify(record));
}

describe('report: samples', () => {
  it('shows every condition\'s answer to each prompt, baseline first, in markdown, HTML and CSV', async () => {
    const runDir = await writeSyntheticRun();
    await writeSamples(runDir, 'tiny__merged__seed1', ['In the garden.', 'Hi!']);
    await writeSamples(runDir, 'tiny__baseline__seed1', ['the the the', 'hi <b>there</b>\nfriend'], 'length');
    const written = await writeRunReport({ runDir });
    expect(written.map((f) => path.basename(f))).toContain('samples.csv');

    const md = await fs.readFile(path.join(runDir, 'report', 'report.md'), 'utf8');
    const section = md.slice(md.indexOf('### Samples'));
    expect(section).toContain('**Prompt:** Where is the dog?');
    expect(section).toContain('| baseline | 1 | the the the … |');
    expect(section).toContain('| merged | 1 | In the garden. |');
    expect(section.indexOf('| baseline | 1 | the the the')).toBeLessThan(section.indexOf('| merged | 1 | In the garden.'));
    expect(section).toContain('| baseline | 1 | hi <b>there</b> ⏎ friend |');

    const html = await fs.readFile(path.join(runDir, 'report', 'report.html'), 'utf8');
    expect(html).toContain('<h3>Samples</h3>');
    expect(html).toContain('<td class="answer">hi &lt;b&gt;there&lt;/b&gt;\nfriend</td>');
    expect(html).toContain('<p class="prompt"><b>Prompt:</b> Say hi.</p>');

    const csv = await fs.readFile(path.join(runDir, 'report', 'samples.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('model,prompt,condition,seed,finish_reason,answer');
    expect(csv).toContain('tiny,Where is the dog?,merged,1,stop,In the garden.');
  });

  it('names the file and field of a malformed samples.json', async () => {
    const runDir = await writeSyntheticRun();
    const file = path.join(runDir, 'cells', 'tiny__merged__seed1', SAMPLES_FILE);
    await fs.writeFile(file, JSON.stringify({ maxNewTokens: 8, samples: [{ prompt: 'x', text: 3, finishReason: 'stop' }] }));
    await expect(loadRunResults(runDir)).rejects.toThrow(`${file}, field 'samples[0].text': expected a string, got number`);
  });
});
