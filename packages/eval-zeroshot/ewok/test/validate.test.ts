/** `validate` of EWoK: the full JSONL folder (fast: false), else the fast set: its JSONL folder, else the encrypted zip,
 *  which needs its password (no data is read). */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EwokEvaluator } from '../src/evaluator.js';
import { EWOK_PASSWORD_ENV } from '../src/zip-source.js';

const zipDir = path.resolve(__dirname, '../../../../../shared/eval-data/ewok');

describe('EwokEvaluator.validate', () => {
  const ewok = new EwokEvaluator();
  const saved = process.env[EWOK_PASSWORD_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[EWOK_PASSWORD_ENV];
    else process.env[EWOK_PASSWORD_ENV] = saved;
  });

  it('takes the fast zip as present when a password is given, and says so when none is', async () => {
    delete process.env[EWOK_PASSWORD_ENV];
    const without = await ewok.validate({ task: 'ewok', dataDir: zipDir, fast: true, settings: {} });
    expect(without.missing).toEqual([expect.stringMatching(/ewok_fast\.zip: .*password/)]);
    expect(await ewok.validate({ task: 'ewok', dataDir: zipDir, fast: true, settings: { password: 'x' } })).toEqual({ missing: [] });
    process.env[EWOK_PASSWORD_ENV] = 'from-env';
    expect(await ewok.validate({ task: 'ewok', dataDir: zipDir, fast: true, settings: {} })).toEqual({ missing: [] });
  });

  it('fast: false takes the full JSONL folder, else falls back on the fast set; refuses unknown settings', async () => {
    delete process.env[EWOK_PASSWORD_ENV];
    // No ewok_filtered/ beside the zip: the fast zip stands in, so it needs its password; both reasons are given.
    const full = await ewok.validate({ task: 'ewok', dataDir: zipDir, fast: false, settings: {} });
    expect(full.missing).toEqual([expect.stringMatching(/no EWoK full data/), expect.stringMatching(/ewok_fast\.zip: .*password/)]);
    expect(await ewok.validate({ task: 'ewok', dataDir: zipDir, fast: false, settings: { password: 'x' } })).toEqual({ missing: [] });
    const empty = await mkdtemp(path.join(os.tmpdir(), 'ewok-validate-'));
    expect((await ewok.validate({ task: 'ewok', dataDir: empty, fast: false, settings: {} })).missing).toEqual([
      expect.stringMatching(/no EWoK full data/), expect.stringMatching(/no EWoK fast data/),
    ]);
    // An ewok_filtered/ folder (the reference's full layout) is enough by itself.
    await mkdir(path.join(empty, 'full_eval', 'ewok_filtered'), { recursive: true });
    await writeFile(path.join(empty, 'full_eval', 'ewok_filtered', 'physical-dynamics.jsonl'), '{}\n');
    expect(await ewok.validate({ task: 'ewok', dataDir: empty, fast: false, settings: {} })).toEqual({ missing: [] });
    await expect(ewok.validate({ task: 'ewok', dataDir: empty, fast: true, settings: { fullSentence: true } })).rejects.toThrow(/field 'fullSentence': unknown setting/);
  });
});
