/** `validate`: the evaluator's own settings rules and the task's data folder, checked without reading or downloading. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlimpEvaluator } from '../src/evaluator.js';

const shared = path.resolve(__dirname, '../../../../../shared/eval-data');

describe('BlimpEvaluator.validate', () => {
  const blimp = new BlimpEvaluator();

  it('is ready on the shared BLiMP data (fast and full layouts looked up as evaluate does)', async () => {
    expect(await blimp.validate({ task: 'blimp', dataDir: path.join(shared, 'blimp/blimp_fast'), fast: true, settings: {} })).toEqual({ missing: [] });
    expect(await blimp.validate({ task: 'blimp', dataDir: shared, fast: true, settings: { batchSize: 8 } })).toEqual({ missing: [] });
  });

  it('says what is missing, and refuses unknown settings and tasks', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'blimp-validate-'));
    const check = await blimp.validate({ task: 'blimp_supplement', dataDir: empty, fast: true, settings: {} });
    expect(check.missing).toEqual([expect.stringMatching(/no BLiMP supplement fast data/)]);
    await expect(blimp.validate({ task: 'blimp', dataDir: empty, fast: true, settings: { batchsize: 8 } })).rejects.toThrow(/field 'batchsize': unknown setting/);
    await expect(blimp.validate({ task: 'ewok', dataDir: empty, fast: true, settings: {} })).rejects.toThrow(/does not serve task 'ewok'/);
    // A URL source counts as present unless offline and not cached.
    const online = await blimp.validate({ task: 'blimp', dataDir: empty, fast: true, settings: { urls: ['https://example.org/a.jsonl'], cacheDir: empty } });
    expect(online.missing).toEqual([]);
    const offline = await blimp.validate({ task: 'blimp', dataDir: empty, fast: true, settings: { urls: ['https://example.org/a.jsonl'], cacheDir: empty, offline: true } });
    expect(offline.missing).toEqual([expect.stringMatching(/^https:\/\/example\.org\/a\.jsonl: not in the cache .* \(offline\)$/)]);
  });
});
