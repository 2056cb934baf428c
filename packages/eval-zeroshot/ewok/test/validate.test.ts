/** `validate` of EWoK: a JSONL folder, else the encrypted fast zip, which needs its password (no data is read). */
import { mkdtemp } from 'node:fs/promises';
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

  it('needs the JSONL folder for the full set, and refuses unknown settings', async () => {
    const full = await ewok.validate({ task: 'ewok', dataDir: zipDir, fast: false, settings: {} });
    expect(full.missing).toEqual([expect.stringMatching(/no EWoK full data/)]);
    const empty = await mkdtemp(path.join(os.tmpdir(), 'ewok-validate-'));
    await expect(ewok.validate({ task: 'ewok', dataDir: empty, fast: true, settings: { fullSentence: true } })).rejects.toThrow(/field 'fullSentence': unknown setting/);
  });
});
