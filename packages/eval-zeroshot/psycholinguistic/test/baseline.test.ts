import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalDataDir } from '@class-it/eval-zeroshot-shared/testing';
import { parseReadingCsv } from '../src/reading-data.js';
import { ET_TERMS, regress } from '../src/regressions.js';

const readingDir = evalDataDir('reading', 'reading baselines');

describe('model-free reading baselines (spec §8.4)', () => {
  it.skipIf(!readingDir)('reproduces R²_base of the four eye-tracking measures on 1,696 rows', async () => {
    const file = path.join(readingDir!, 'reading_data.csv');
    const rows = parseReadingCsv(await readFile(file, 'utf8'), file);
    expect(rows).toHaveLength(1726);
    const table = rows.map((r) => ({ ...r.values }));
    const expected: Record<string, number> = { RTfirstfix: 0.64408, RTfirstpass: 0.644325, RTgopast: 0.539094, RTrightbound: 0.61867 };
    for (const [dv, r2] of Object.entries(expected)) {
      const fit = regress(table, dv, ET_TERMS, false);
      expect(fit.nobs).toBe(1696);
      expect(fit.rsquared).toBeCloseTo(r2, 6);
    }
  });
});
