import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { babyLmMilestones, listMilestoneCheckpoints, milestoneName, milestonesBetween, parseMilestoneName } from '../src/index.js';

describe('checkpoint names chck_{N}M (the one rule: trainer, eval --sweep and report)', () => {
  it('lists the BabyLM milestones and names them chck_{N}M', () => {
    const m = babyLmMilestones();
    expect(m).toHaveLength(10 + 9 + 9);
    expect(m.slice(0, 3)).toEqual([1e6, 2e6, 3e6]);
    expect(m.slice(9, 12)).toEqual([10e6, 20e6, 30e6]);
    expect(m.at(-1)).toBe(1000e6);
    expect(new Set(m).size).toBe(m.length);
    expect(m.map(milestoneName).slice(0, 2)).toEqual(['chck_1M', 'chck_2M']);
    expect(milestoneName(200e6)).toBe('chck_200M');
    expect(milestonesBetween(9.5e6, 31e6)).toEqual([10e6, 20e6, 30e6]);
    expect(milestoneName(1.5e6)).toBe('chck_1.5M');
    expect(milestoneName(2.5e5)).toBe('chck_0.25M');
    expect(() => milestoneName(0)).toThrow();
  });


  it('parses names back and lists milestone directories in words-seen order, fractions included', async () => {
    expect(parseMilestoneName('chck_10M')).toBe(10e6);
    expect(parseMilestoneName('chck_0.25M')).toBe(250_000);
    expect(parseMilestoneName('chck_M')).toBeUndefined();
    expect(parseMilestoneName('chck_1M.tmp')).toBeUndefined();
    for (const w of [250_000, 1e6, 1.5e6, 20e6, 1000e6]) expect(parseMilestoneName(milestoneName(w))).toBe(w);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'milestones-'));
    for (const name of ['chck_10M', 'chck_0.25M', 'chck_2M', 'last', 'notes']) await fs.mkdir(path.join(dir, 'train', name), { recursive: true });
    await fs.writeFile(path.join(dir, 'train', 'chck_5M'), 'a file, not a checkpoint');
    const found = await listMilestoneCheckpoints(dir);
    expect(found.map((c) => [c.name, c.words])).toEqual([['chck_0.25M', 250_000], ['chck_2M', 2e6], ['chck_10M', 10e6]]);
    expect(await listMilestoneCheckpoints(dir, 0)).toEqual([]);
  });
});
