/**
 * util/atomic.ts: what a killed `writeDirAtomic` leaves is found and repaired (the kills themselves, in real child
 * processes, are in runtime-tfjs/test/checkpoint-faults.test.ts), and `crashPoint` traces its steps.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRunning, resolveDirAtomic, writeDirAtomic, writeFileAtomic } from '../src/util/atomic.js';

let work: string;
beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'atomic-'));
});
afterEach(async () => {
  delete process.env.CLASS_IT_TEST_CRASH_TRACE;
  await fs.rm(work, { recursive: true, force: true });
});

const writeVersion = (target: string, version: string) => writeDirAtomic(target, async (tmp) => {
  await fs.writeFile(path.join(tmp, 'a.txt'), version);
  await fs.mkdir(path.join(tmp, 'sub'));
  await fs.writeFile(path.join(tmp, 'sub', 'b.txt'), version);
});

async function versionIn(dir: string): Promise<string[]> {
  return [await fs.readFile(path.join(dir, 'a.txt'), 'utf8'), await fs.readFile(path.join(dir, 'sub', 'b.txt'), 'utf8')];
}

/** The id of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('writeDirAtomic', () => {
  it('replaces a directory and leaves nothing else behind', async () => {
    const target = path.join(work, 'final');
    await writeVersion(target, 'v1');
    await writeVersion(target, 'v2');
    expect(await versionIn(target)).toEqual(['v2', 'v2']);
    expect(await fs.readdir(work)).toEqual(['final']);
  });

  it('between its two renames the previous version is found, and the next write puts it back first', async () => {
    const target = path.join(work, 'final');
    await writeVersion(target, 'v1');
    // What a kill after "previous moved aside" leaves: no target, the old version aside, a dead writer's new one.
    await fs.rename(target, path.join(work, '.final.old'));
    const dead = deadPid();
    expect(isRunning(dead)).toBe(false);
    await fs.mkdir(path.join(work, `.final.tmp-${dead}-1`));
    await fs.writeFile(path.join(work, `.final.tmp-${dead}-1`, 'a.txt'), 'v2');
    expect(await resolveDirAtomic(target)).toBe(path.join(work, '.final.old'));
    expect(await versionIn(await resolveDirAtomic(target))).toEqual(['v1', 'v1']);

    let seenInFill: string[] = [];
    await writeDirAtomic(target, async (tmp) => {
      seenInFill = await versionIn(target); // recovered before the new version is written
      await fs.writeFile(path.join(tmp, 'a.txt'), 'v3');
    });
    expect(seenInFill).toEqual(['v1', 'v1']);
    expect(await fs.readFile(path.join(target, 'a.txt'), 'utf8')).toBe('v3');
    expect(await fs.readdir(work)).toEqual(['final']);
  });

  it('drops a leftover previous version once the new one is in place, and keeps temporaries of running writers', async () => {
    const target = path.join(work, 'final');
    await writeVersion(target, 'v1');
    await fs.mkdir(path.join(work, '.final.old'));
    const live = path.join(work, `.final.tmp-${process.pid}-999999`);
    await fs.mkdir(live);
    expect(await resolveDirAtomic(target)).toBe(target);
    await writeVersion(target, 'v2');
    expect((await fs.readdir(work)).sort()).toEqual(['.final.tmp-' + process.pid + '-999999', 'final']);
  });

  it('a failing fill leaves the previous directory whole', async () => {
    const target = path.join(work, 'final');
    await writeVersion(target, 'v1');
    await expect(writeDirAtomic(target, async () => {
      throw new Error('disk full');
    })).rejects.toThrow('disk full');
    expect(await versionIn(target)).toEqual(['v1', 'v1']);
    expect(await fs.readdir(work)).toEqual(['final']);
  });

  it('marks each step with a crash point', async () => {
    const trace = path.join(work, 'trace.tsv');
    process.env.CLASS_IT_TEST_CRASH_TRACE = trace;
    await writeVersion(path.join(work, 'final'), 'v1');
    await writeVersion(path.join(work, 'final'), 'v2');
    await writeFileAtomic(path.join(work, 'x.json'), '{}');
    const labels = (await fs.readFile(trace, 'utf8')).trim().split('\n').map((l) => l.split('\t')[1]);
    expect(labels).toEqual([
      'dir final: filled', 'dir final: renamed into place',
      'dir final: filled', 'dir final: previous moved aside', 'dir final: renamed into place', 'dir final: previous removed',
      'file x.json: written', 'file x.json: renamed into place',
    ]);
  });
});
