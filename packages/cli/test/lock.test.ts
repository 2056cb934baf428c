/** The output-directory lock in one process: holders, stale locks, --force-unlock, nesting, release. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryLock, DirectoryLockedError, LOCK_FILE, isStale, withDirectoryLock, type LockHolder } from '../src/run/lock.js';
import { experimentSchema, parseConfigText, runExperiment } from '../src/index.js';
import { defaultSteps } from '../src/run/steps.js';
import { baseCheckpoint, demo, setup } from './fake-stack.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'class-it-lock-'));
const options = (log: string[] = []) => ({ command: 'class-it test', log: (l: string) => log.push(l) });
const holderOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockHolder;

/** A pid that certainly belonged to a process which has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function writeHolder(dir: string, holder: Partial<LockHolder>): void {
  writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: os.hostname(), startedAt: '2025-01-01T00:00:00.000Z', command: 'class-it run', token: 'other', ...holder }));
}

describe('the output-directory lock', () => {
  it('records the holder, refuses a second holder naming the first, and releases', async () => {
    const dir = path.join(tmp(), 'out');
    const lock = await DirectoryLock.acquire(dir, options());
    const holder = holderOf(dir);
    expect(holder).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'class-it test' });
    expect(Date.parse(holder.startedAt)).toBeGreaterThan(Date.now() - 60_000);

    const err = await DirectoryLock.acquire(dir, options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirectoryLockedError);
    expect((err as Error).message).toBe(`${dir} is in use by class-it test (pid ${process.pid} on ${os.hostname()}, since ${holder.startedAt}); ` +
      'wait for it to finish, or, if that process is gone, rerun with --force-unlock');

    await fs.writeFile(path.join(dir, 'work.txt'), 'x');
    lock.release();
    lock.release(); // idempotent
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    expect(existsSync(path.join(dir, 'work.txt'))).toBe(true);
    (await DirectoryLock.acquire(dir, options())).release(); // free again
  });

  it('leaves no empty directory behind when the command wrote nothing, and never removes what was there', async () => {
    const root = tmp();
    (await DirectoryLock.acquire(path.join(root, 'a', 'b'), options())).release();
    expect(await fs.readdir(root)).toEqual([]);
    await fs.mkdir(path.join(root, 'kept'));
    (await DirectoryLock.acquire(path.join(root, 'kept'), options())).release();
    expect(existsSync(path.join(root, 'kept'))).toBe(true);
  });

  it('takes over a stale lock (dead pid, or a reused pid that started later) with a message', async () => {
    const dir = tmp();
    const pid = deadPid();
    writeHolder(dir, { pid });
    const log: string[] = [];
    const lock = await DirectoryLock.acquire(dir, options(log));
    expect(log).toEqual([`taking over a stale lock of ${dir}: class-it run (pid ${pid} on ${os.hostname()}, since 2025-01-01T00:00:00.000Z) is no longer running`]);
    expect(holderOf(dir).pid).toBe(process.pid);
    lock.release();

    const reused: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: '', command: 'x', token: 't', processStart: '1' };
    expect(isStale(reused)).toBe(existsSync('/proc/self/stat')); // our pid, but our process started at another time
    expect(isStale({ ...reused, processStart: undefined })).toBe(false);
    expect(isStale({ ...reused, pid, host: 'another-host' })).toBe(false); // cannot be checked from here
  });

  it('keeps a lock from another host (its process cannot be checked) until --force-unlock', async () => {
    const dir = tmp();
    writeHolder(dir, { pid: deadPid(), host: 'gpu-node-7' });
    await expect(DirectoryLock.acquire(dir, options())).rejects.toThrow(/in use by class-it run \(pid \d+ on gpu-node-7, .*class-it cannot check a process on another host/);
    const log: string[] = [];
    const lock = await DirectoryLock.acquire(dir, { ...options(log), forceUnlock: true });
    expect(log[0]).toMatch(new RegExp(`^--force-unlock: removing the lock of ${dir} held by class-it run \\(pid \\d+ on gpu-node-7`));
    expect(holderOf(dir).pid).toBe(process.pid);
    lock.release();
  });

  it('refuses an unreadable lock file unless forced', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, LOCK_FILE), '');
    await expect(DirectoryLock.acquire(dir, options())).rejects.toThrow(/lock file .* cannot be read/);
    (await DirectoryLock.acquire(dir, { ...options(), forceUnlock: true })).release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('never removes a lock that is no longer its own', async () => {
    const dir = tmp();
    const first = await DirectoryLock.acquire(dir, options());
    const second = await DirectoryLock.acquire(dir, { ...options(), forceUnlock: true });
    first.release();
    expect(holderOf(dir).token).toBe(second.holder.token);
    second.release();
  });

  it('refuses a directory inside or around one a live process holds; stale nested locks do not count', async () => {
    const root = tmp();
    const outer = await DirectoryLock.acquire(root, options());
    await expect(DirectoryLock.acquire(path.join(root, 'cells', 'c1', 'train'), options()))
      .rejects.toThrow(`cannot lock ${path.join(root, 'cells', 'c1', 'train')}: it is inside ${root}, which is in use by class-it test`);
    outer.release();
    expect(await fs.readdir(root)).toEqual([]); // the refused lock cleaned up after itself

    const inner = await DirectoryLock.acquire(path.join(root, 'cells', 'c1', 'train'), options());
    await expect(DirectoryLock.acquire(root, options())).rejects.toThrow(`cannot lock ${root}: ${path.join(root, 'cells', 'c1', 'train')} (inside it) is in use`);
    inner.release();

    await fs.mkdir(path.join(root, 'cells'));
    writeHolder(path.join(root, 'cells'), { pid: deadPid() });
    (await DirectoryLock.acquire(root, options())).release();
  });

  it('is released by `using` and by withDirectoryLock however the work ends', async () => {
    const dir = tmp();
    const failing = async () => {
      using _lock = await DirectoryLock.acquire(dir, options());
      expect(existsSync(path.join(dir, LOCK_FILE))).toBe(true);
      throw new Error('work failed');
    };
    await expect(failing()).rejects.toThrow('work failed');
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    await expect(withDirectoryLock(dir, options(), async () => { throw new Error('again'); })).rejects.toThrow('again');
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('follows its directory when the old run is moved aside (run --restart)', async () => {
    const root = tmp();
    const dir = path.join(root, 'run');
    const lock = await DirectoryLock.acquire(dir, options());
    await fs.writeFile(path.join(dir, 'old.txt'), 'old');
    await fs.rename(dir, `${dir}.old`);
    await lock.relockAfterMove(`${dir}.old`);
    expect(holderOf(dir).token).toBe(lock.holder.token);
    expect(existsSync(path.join(`${dir}.old`, LOCK_FILE))).toBe(false);
    expect(existsSync(path.join(`${dir}.old`, 'old.txt'))).toBe(true);
    lock.release();
  });

  it('stays held through `run --restart`: the runner moves the old run aside and the lock comes back', async () => {
    const { registry } = setup();
    const runs = tmp();
    const yaml = `name: again\nseeds: [1]\nrunsDir: ${JSON.stringify(runs)}\nmodels: [{ name: m, checkpoint: ${JSON.stringify(await baseCheckpoint())} }]\n` +
      'conditions: [{ name: baseline, curriculum: baseline }]\nevaluation: { dataDir: . }\n';
    const exp = parseConfigText(yaml, path.join(demo, 'exp.yaml'), experimentSchema).value;
    const runDir = path.join(runs, 'again');
    const lock = await DirectoryLock.acquire(runDir, options());
    await runExperiment(exp, registry, { steps: defaultSteps, experimentDir: demo });
    await runExperiment(exp, registry, { steps: defaultSteps, experimentDir: demo, restart: true, afterMovedAside: (aside) => lock.relockAfterMove(aside) });
    const aside = (await fs.readdir(runs)).find((n) => n.startsWith('again.old-'))!;
    expect(existsSync(path.join(runs, aside, 'experiment.json'))).toBe(true);
    expect(existsSync(path.join(runs, aside, LOCK_FILE))).toBe(false);
    expect(holderOf(runDir).token).toBe(lock.holder.token);
    lock.release();
    expect(existsSync(path.join(runDir, LOCK_FILE))).toBe(false);
  });
});
