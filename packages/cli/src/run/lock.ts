/**
 * The output-directory lock: one class-it process at a time writes into a directory (`run`, `train`, `pretrain`
 * and `finetune` hold it for their whole life). The lock is the file `.class-it.lock` inside the directory,
 * created with O_EXCL, holding the holder's pid, host, start time and command. A second process stops at once
 * with an error naming the holder.
 *
 * A lock is stale when its holder is gone: same host, and no process with that pid (or one with that pid that
 * started at another time: the pid was reused). A stale lock is taken over with a message. A holder on another
 * host cannot be checked, so its lock stands until `--force-unlock` removes it (the same flag removes any lock).
 *
 * Nested directories conflict too: a lock is refused while a live process holds a directory above it (e.g. `run`
 * holds runs/<name> and `train` asks for one of its cells) or below it (up to three levels down, hidden directories
 * and node_modules aside).
 *
 * The lock is released when the command ends, on process exit, and on SIGINT/SIGTERM/SIGHUP (the signal is then
 * raised again, so the process still ends the way the signal says). A kill -9 leaves a stale lock behind.
 */
import { closeSync, openSync, promises as fs, readFileSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ClassItError, isRunning } from '@class-it/core';

export const LOCK_FILE = '.class-it.lock';

/** Help text of the `--force-unlock` flag of every command that takes the lock. */
export const FORCE_UNLOCK_HELP = 'take the output directory\'s lock even if its holder looks alive (a crashed run on another host)';

/** What a lock file holds. */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the holder took the lock (ISO time). */
  startedAt: string;
  /** The command that holds it, e.g. `class-it run`. */
  command: string;
  /** Start time of the holder process as the OS counts it (Linux), to tell a reused pid from the holder. */
  processStart?: string;
  /** Tells this acquisition from any other (even in the same process). */
  token: string;
}

export interface LockOptions {
  /** The command taking the lock, for the holder record and messages (e.g. `class-it train`). */
  command: string;
  /** Remove an existing lock even when its holder looks alive (`--force-unlock`). */
  forceUnlock?: boolean;
  /** Where take-over and force-unlock messages go (default: stderr). */
  log?: (line: string) => void;
  /** Judges a holder this process cannot check (one on another host): true when the caller knows it is gone, e.g.
   *  a queue worker that Redis no longer lists. Its lock is then taken over like a stale one. */
  holderGone?: (holder: LockHolder) => Promise<boolean>;
}

/** Another process holds the directory (or one above or below it). */
export class DirectoryLockedError extends ClassItError {
  constructor(message: string, readonly holder?: LockHolder) {
    super(message);
    this.name = 'DirectoryLockedError';
  }
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const NESTED_DEPTH = 3;

export class DirectoryLock {
  private released = false;
  private readonly onExit = () => this.release();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.release();
    process.kill(process.pid, signal); // our listener is gone: the signal now does what it would have done
  };

  /** `dir` and the parents the lock created for it (removed again on release when left empty). */
  private readonly created: string[];

  private constructor(readonly dir: string, readonly holder: LockHolder, firstCreated: string | undefined) {
    this.created = [];
    for (let d = dir; firstCreated !== undefined && d.startsWith(firstCreated); d = path.dirname(d)) this.created.push(d);
    process.once('exit', this.onExit);
    for (const s of SIGNALS) process.once(s, this.onSignal);
  }

  get file(): string {
    return path.join(this.dir, LOCK_FILE);
  }

  /** Take the lock of `dir` (created if missing), or throw DirectoryLockedError naming the holder. */
  static async acquire(dir: string, options: LockOptions): Promise<DirectoryLock> {
    const root = path.resolve(dir);
    const log = options.log ?? ((line: string) => console.error(`class-it: ${line}`));
    const holder: LockHolder = {
      pid: process.pid,
      host: os.hostname(),
      startedAt: new Date().toISOString(),
      command: options.command,
      processStart: processStartTime(process.pid),
      token: randomUUID(),
    };
    const firstCreated = await fs.mkdir(root, { recursive: true });
    const file = path.join(root, LOCK_FILE);
    for (let attempt = 0; ; attempt++) {
      if (createLockFile(file, holder)) break;
      if (attempt >= 3) throw new DirectoryLockedError(`${root} is locked: the lock kept changing hands while class-it tried to take it`);
      const found = await readLockFile(file);
      if (found === 'missing') continue; // released between our try and our look: try again
      const unreadable = found === 'unreadable';
      const existing = unreadable ? undefined : found.holder;
      if (options.forceUnlock) {
        log(`--force-unlock: removing the lock of ${root}${existing ? ` held by ${describeHolder(existing)}` : ''}`);
      } else if (existing && (isStale(existing) || await options.holderGone?.(existing))) {
        log(`taking over a stale lock of ${root}: ${describeHolder(existing)} is no longer running`);
      } else if (unreadable) {
        throw new DirectoryLockedError(`${root} is locked, but its lock file ${file} cannot be read (another process may be writing it); ` +
          'if no class-it process uses the directory, rerun with --force-unlock');
      } else {
        throw new DirectoryLockedError(`${root} is in use by ${describeHolder(existing!)}; wait for it to finish, or, ` +
          `if that process is gone${existing!.host !== holder.host ? ' (class-it cannot check a process on another host)' : ''}, rerun with --force-unlock`, existing);
      }
      await removeLockFileIfUnchanged(file, unreadable ? undefined : found.raw);
    }
    const lock = new DirectoryLock(root, holder, firstCreated);
    try {
      await lock.checkNestedLocks(Boolean(options.forceUnlock), log, options.holderGone);
    } catch (err) {
      lock.release();
      throw err;
    }
    return lock;
  }

  /** `using lock = await DirectoryLock.acquire(...)` releases it when the scope ends. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** Release the lock (idempotent; only a lock file that is still ours is removed). Synchronous: safe on exit. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    for (const s of SIGNALS) process.removeListener(s, this.onSignal);
    try {
      const held = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<LockHolder>;
      if (held.token === this.holder.token) unlinkSync(this.file);
    } catch {
      // already gone (or replaced by --force-unlock): nothing of ours to remove
    }
    // A command that failed before writing anything leaves no empty directory behind.
    for (const d of this.created) {
      try {
        rmdirSync(d);
      } catch {
        break; // not empty: the command wrote something
      }
    }
  }

  /** The directory was moved to `movedTo` with our lock file inside (`run --restart`): lock `dir` again. */
  async relockAfterMove(movedTo: string): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const moved = path.join(movedTo, LOCK_FILE);
    try {
      await fs.link(moved, this.file); // fails if another process locked the new directory in between
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const found = await readLockFile(this.file);
      throw new DirectoryLockedError(`${this.dir} was locked by ${typeof found === 'object' ? describeHolder(found.holder) : 'another process'} while the old run was moved aside`);
    } finally {
      await fs.rm(moved, { force: true });
    }
  }

  /** Refuse when a live process holds a directory above ours or one below it. */
  private async checkNestedLocks(force: boolean, log: (line: string) => void, holderGone?: LockOptions['holderGone']): Promise<void> {
    const others: string[] = [];
    for (let d = path.dirname(this.dir); ; d = path.dirname(d)) {
      others.push(path.join(d, LOCK_FILE));
      if (path.dirname(d) === d) break;
    }
    others.push(...(await lockFilesBelow(this.dir, NESTED_DEPTH)));
    for (const file of others) {
      const found = await readLockFile(file);
      if (typeof found !== 'object' || isStale(found.holder) || await holderGone?.(found.holder)) continue;
      const where = path.dirname(file);
      const above = !path.relative(where, this.dir).startsWith('..');
      const relation = above ? `it is inside ${where}, which is` : `${where} (inside it) is`;
      if (force) {
        log(`--force-unlock: removing the lock of ${where} held by ${describeHolder(found.holder)}`);
        await removeLockFileIfUnchanged(file, found.raw);
        continue;
      }
      throw new DirectoryLockedError(`cannot lock ${this.dir}: ${relation} in use by ${describeHolder(found.holder)}; ` +
        'wait for it to finish, or, if that process is gone, rerun with --force-unlock', found.holder);
    }
  }
}

/** Run `work` holding the lock of `dir`; the lock is released however `work` ends. */
export async function withDirectoryLock<T>(dir: string, options: LockOptions, work: (lock: DirectoryLock) => Promise<T>): Promise<T> {
  const lock = await DirectoryLock.acquire(dir, options);
  try {
    return await work(lock);
  } finally {
    lock.release();
  }
}

export function describeHolder(h: LockHolder): string {
  return `${h.command} (pid ${h.pid} on ${h.host}, since ${h.startedAt})`;
}

/** Create the lock file with O_EXCL; false when it exists already. */
function createLockFile(file: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ClassItError(`cannot create the lock file: ${(err as Error).message}`, { file });
  }
  try {
    writeSync(fd, JSON.stringify(holder) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

type LockFileState = 'missing' | 'unreadable' | { raw: string; holder: LockHolder };

async function readLockFile(file: string): Promise<LockFileState> {
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const h = JSON.parse(raw) as LockHolder;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.token === 'string') return { raw, holder: h };
  } catch {
    // fall through
  }
  return 'unreadable';
}

/**
 * Remove the lock file only if it still holds `expected` (what we judged stale or were told to remove): it is
 * first renamed to a name of our own, so a lock another process created meanwhile is put back, not deleted.
 */
async function removeLockFileIfUnchanged(file: string, expected: string | undefined): Promise<void> {
  const mine = `${file}.removing-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    await fs.rename(file, mine);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const raw = await fs.readFile(mine, 'utf8').catch(() => undefined);
  if (expected !== undefined && raw !== expected) await fs.link(mine, file).catch(() => undefined);
  await fs.rm(mine, { force: true });
}

/**
 * Lock files in the directories below `dir`, down to `depth` levels (hidden directories and node_modules are not
 * output directories; at most `budget` directories are looked at, so a lock on a big tree stays quick).
 */
async function lockFilesBelow(dir: string, depth: number, budget = { dirs: 5000 }): Promise<string[]> {
  if (depth === 0 || budget.dirs <= 0) return [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'node_modules' || --budget.dirs < 0) continue;
    const sub = path.join(dir, e.name);
    try {
      await fs.access(path.join(sub, LOCK_FILE));
      found.push(path.join(sub, LOCK_FILE));
    } catch {
      // no lock here
    }
    found.push(...(await lockFilesBelow(sub, depth - 1, budget)));
  }
  return found;
}

/** A holder on this host whose process is gone (or whose pid now belongs to a process started later). */
export function isStale(h: LockHolder): boolean {
  if (h.host !== os.hostname()) return false;
  if (!isRunning(h.pid)) return true;
  const start = processStartTime(h.pid);
  return h.processStart !== undefined && start !== undefined && start !== h.processStart;
}

/** The start time of a process in clock ticks since boot (Linux /proc; undefined elsewhere). */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; starttime is field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
