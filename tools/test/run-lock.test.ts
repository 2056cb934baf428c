/**
 * The output-directory lock between real processes of the built CLI. A holder is kept busy by a corpus that is a
 * named pipe nobody writes to: it takes the lock, then waits on the pipe for as long as the test wants.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const workspace = path.resolve(__dirname, '..', '..');
const cli = path.join(workspace, 'packages/cli/dist/main.js');
const LOCK = '.class-it.lock';
const run = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function scratch(): Promise<{ dir: string; fifo: string; empty: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-lock-'));
  const fifo = path.join(dir, 'corpus.fifo');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const empty = path.join(dir, 'empty.txt');
  await fs.writeFile(empty, '\n');
  return { dir, fifo, empty };
}

/** Start the CLI and wait until `lockFile` exists (the process holds the lock and now waits on its pipe). */
async function startHolder(args: string[], cwd: string, lockFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  for (const started = Date.now(); !existsSync(lockFile); await new Promise((r) => setTimeout(r, 50))) {
    if (child.exitCode !== null) throw new Error(`the holder exited early (${child.exitCode}): ${stderr}`);
    if (Date.now() - started > 30_000) throw new Error(`no lock after 30 s: ${stderr}`);
  }
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<NodeJS.Signals | null> {
  child.kill(signal);
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  return child.signalCode;
}

const lastLine = (text: string) => text.trim().split('\n').pop()!;

describe('two class-it processes on one output directory', () => {
  it('refuses the second at once naming the holder, and the holder releases on SIGTERM', async () => {
    const { dir, fifo } = await scratch();
    const out = path.join(dir, 'out');
    const args = ['pretrain', '--corpus', fifo, '--preset', 'gpt-tiny', '--out', out, '--backend', 'wasm'];
    const holder = await startHolder(args, dir, path.join(out, LOCK));
    const held = JSON.parse(await fs.readFile(path.join(out, LOCK), 'utf8'));
    expect(held).toMatchObject({ pid: holder.pid, host: os.hostname(), command: 'class-it pretrain' });

    const started = Date.now();
    const second = run(args, dir);
    expect(second.status).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(lastLine(second.stderr)).toBe(`class-it: ${out} is in use by class-it pretrain (pid ${holder.pid} on ${os.hostname()}, since ${held.startedAt}); ` +
      'wait for it to finish, or, if that process is gone, rerun with --force-unlock');
    expect(second.stderr).not.toMatch(/^\s+at /m);

    expect(await stop(holder, 'SIGTERM')).toBe('SIGTERM');
    expect(existsSync(path.join(out, LOCK))).toBe(false);
  });

  it('takes over the stale lock of a killed holder with a message; --force-unlock takes a live one', async () => {
    const { dir, fifo, empty } = await scratch();
    const out = path.join(dir, 'out');
    const killed = await startHolder(['pretrain', '--corpus', fifo, '--preset', 'gpt-tiny', '--out', out], dir, path.join(out, LOCK));
    expect(await stop(killed, 'SIGKILL')).toBe('SIGKILL');
    expect(existsSync(path.join(out, LOCK))).toBe(true); // kill -9: nothing could clean up

    // The next command takes the stale lock over, then fails on its (empty) corpus and releases the lock.
    const next = run(['pretrain', '--corpus', empty, '--preset', 'gpt-tiny', '--out', out], dir);
    expect(next.status).toBe(1);
    expect(next.stderr).toContain(`class-it: taking over a stale lock of ${out}: class-it pretrain (pid ${killed.pid} on ${os.hostname()}`);
    expect(lastLine(next.stderr)).toMatch(/class-it: .*corpus.*has no non-empty line/);
    expect(existsSync(path.join(out, LOCK))).toBe(false);

    const alive = await startHolder(['pretrain', '--corpus', fifo, '--preset', 'gpt-tiny', '--out', out], dir, path.join(out, LOCK));
    const forced = run(['pretrain', '--corpus', empty, '--preset', 'gpt-tiny', '--out', out, '--force-unlock'], dir);
    expect(forced.status).toBe(1);
    expect(forced.stderr).toContain(`class-it: --force-unlock: removing the lock of ${out} held by class-it pretrain (pid ${alive.pid} on ${os.hostname()}`);
    expect(await stop(alive, 'SIGINT')).toBe('SIGINT');
    expect(existsSync(path.join(out, LOCK))).toBe(false);
  });

  it('locks the run directory of `class-it run`: a second run and a `train` of one of its cells are refused', async () => {
    const { dir, fifo } = await scratch();
    await fs.writeFile(path.join(dir, 'exp.yaml'), [
      'name: locked', 'backend: wasm',
      `models: [{ name: m, pretrain: { corpus: [${JSON.stringify(fifo)}], preset: gpt-tiny } }]`,
      'instruction: { datasets: { qa: { plugin: simple_wiki, settings: { path: qa.jsonl } } } }',
      'conditions: [{ name: merged, curriculum: merged }]',
      'evaluation: { dataDir: data }', '',
    ].join('\n'));
    await fs.writeFile(path.join(dir, 'qa.jsonl'), `${JSON.stringify({ prompt: 'Is it locked?', reply: 'Yes.' })}\n`);
    const runDir = path.join(dir, 'runs', 'locked');
    const holder = await startHolder(['run', 'exp.yaml'], dir, path.join(runDir, LOCK));

    const second = run(['run', 'exp.yaml'], dir);
    expect(second.status).toBe(1);
    expect(lastLine(second.stderr)).toMatch(new RegExp(`^class-it: ${runDir} is in use by class-it run \\(pid ${holder.pid} on `));
    const train = run(['train', 'exp.yaml'], dir);
    expect(train.status).toBe(1);
    expect(lastLine(train.stderr)).toMatch(new RegExp(`^class-it: cannot lock ${path.join(runDir, 'cells', 'm__merged__seed42', 'train')}: it is inside ${runDir}, which is in use by class-it run \\(pid ${holder.pid} `));

    expect(await stop(holder, 'SIGTERM')).toBe('SIGTERM');
    expect(existsSync(path.join(runDir, LOCK))).toBe(false);
  });
});
