/**
 * Atomic writes. A file is written to a temporary sibling, fsynced, then renamed over the target: a crash leaves
 * the old file or the new one, never half of one. A directory is filled under a temporary name and renamed into
 * place; replacing an existing directory takes two renames (POSIX cannot swap directories), so for that moment
 * the previous version waits complete in `.<name>.old`, where `resolveDirAtomic` finds it and the next
 * `writeDirAtomic` of the same target puts it back (see `writeDirAtomic`).
 *
 * `crashPoint(label)` marks each write and rename step for the fault-injection tests: it does nothing unless the
 * test-only variables CLASS_IT_TEST_CRASH_TRACE (append each point's number and label to this file) or
 * CLASS_IT_TEST_CRASH_AT (SIGKILL this process at the point with this 1-based number) are set.
 */
import { appendFileSync, promises as fs } from 'node:fs';
import path from 'node:path';

let crashPointsPassed = 0;

/** A place where a kill must leave the files recoverable (a no-op outside fault-injection tests). */
export function crashPoint(label: string): void {
  const trace = process.env.CLASS_IT_TEST_CRASH_TRACE;
  const at = process.env.CLASS_IT_TEST_CRASH_AT;
  if (!trace && !at) return;
  crashPointsPassed += 1;
  if (trace) appendFileSync(trace, `${crashPointsPassed}\t${label}\n`);
  if (at && Number(at) === crashPointsPassed) process.kill(process.pid, 'SIGKILL');
}

let counter = 0;
function tempSibling(target: string): string {
  counter += 1;
  return path.join(path.dirname(target), `${tempPrefix(target)}${process.pid}-${counter}`);
}

function tempPrefix(target: string): string {
  return `.${path.basename(target)}.tmp-`;
}

/** Where `writeDirAtomic` keeps the previous version of `target` between its two renames. */
function backupOf(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.old`);
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(() => true, () => false);
}

/** fsync one file. */
export async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a directory's entries (so renames in it survive a power cut); not possible on Windows, where it is skipped. */
export async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  await syncFile(dir);
}

/** fsync every file below `dir`, then the directories themselves. */
export async function syncTree(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await syncTree(full);
    else if (entry.isFile()) await syncFile(full);
  }
  await syncDir(dir);
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempSibling(target);
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  crashPoint(`file ${path.basename(target)}: written`);
  await fs.rename(tmp, target);
  crashPoint(`file ${path.basename(target)}: renamed into place`);
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Fill a directory atomically: `fill` writes into a temporary sibling (fsynced when it returns), which then
 * becomes `target`. Replacing an existing `target`: (1) it is renamed to `.<name>.old`, (2) the new directory is
 * renamed to `target`, (3) `.<name>.old` is removed. At every instant a complete version is findable: a kill
 * between (1) and (2) leaves the previous one in `.<name>.old`, which `resolveDirAtomic` returns and which this
 * function moves back before writing `target` again. It also removes temporaries that killed writers left.
 */
export async function writeDirAtomic(target: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(target);
  const name = path.basename(target);
  await fs.mkdir(parent, { recursive: true });
  await recoverDirAtomic(target);
  const tmp = tempSibling(target);
  await fs.mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    await syncTree(tmp);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  crashPoint(`dir ${name}: filled`);
  const backup = backupOf(target);
  let hadOld = false;
  try {
    await fs.rename(target, backup);
    hadOld = true;
    crashPoint(`dir ${name}: previous moved aside`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.rename(tmp, target);
  await syncDir(parent);
  crashPoint(`dir ${name}: renamed into place`);
  if (hadOld) {
    await fs.rm(backup, { recursive: true, force: true });
    crashPoint(`dir ${name}: previous removed`);
  }
}

/** The directory that holds `target`'s complete contents now: `target`, or its previous version while a
 *  `writeDirAtomic` is (or was killed) between its two renames. */
export async function resolveDirAtomic(target: string): Promise<string> {
  if (await exists(target)) return target;
  const backup = backupOf(target);
  return (await exists(backup)) ? backup : target;
}

/** Undo what a killed `writeDirAtomic` of `target` left: the previous version goes back into place (or is dropped
 *  when the new one made it), and temporaries of writers that are no longer running are removed. */
async function recoverDirAtomic(target: string): Promise<void> {
  const backup = backupOf(target);
  if (await exists(backup)) {
    if (await exists(target)) await fs.rm(backup, { recursive: true, force: true });
    else await fs.rename(backup, target);
  }
  const prefix = tempPrefix(target);
  for (const entry of await fs.readdir(path.dirname(target))) {
    if (!entry.startsWith(prefix)) continue;
    const pid = /^(\d+)-\d+$/.exec(entry.slice(prefix.length))?.[1];
    if (pid !== undefined && !isRunning(Number(pid))) await fs.rm(path.join(path.dirname(target), entry), { recursive: true, force: true });
  }
}

/** Whether a process with this id runs on this host (this process counts: its own temporaries may be in use). */
export function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Append one JSON line (metrics logs). Appends of one short line are atomic on POSIX for our purposes. */
export async function appendJsonLine(target: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.appendFile(target, JSON.stringify(value) + '\n');
}
