import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAX_WASM_THREADS, wasmThreadsWanted } from '../src/engine/wasm-threads.js';
import { runTsChild } from './ts-child.js';

const CHILD = fileURLToPath(new URL('./wasm-threads-child.ts', import.meta.url));

interface ChildReport {
  engine: { backend: string; wasmThreads?: number; wasmThreadsNote?: string };
  loss: number;
  gradients: Record<string, number[]>;
}

async function run(engine: string, threads?: number, env: Record<string, string> = {}): Promise<ChildReport> {
  const result = await runTsChild(CHILD, [engine], threads === undefined ? env : { ...env, CLASS_IT_WASM_THREADS: String(threads) });
  expect(result.signal, result.stderr).toBeNull();
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as ChildReport;
}

describe('the wasm backend on several threads (threaded SIMD build in Node)', () => {
  it('reads CLASS_IT_WASM_THREADS: a whole number from 1, at most the build\'s pool; else the cores', () => {
    expect(wasmThreadsWanted({ CLASS_IT_WASM_THREADS: '3' })).toBe(3);
    expect(wasmThreadsWanted({ CLASS_IT_WASM_THREADS: '1' })).toBe(1);
    expect(wasmThreadsWanted({ CLASS_IT_WASM_THREADS: '64' })).toBe(MAX_WASM_THREADS);
    expect(wasmThreadsWanted({})).toBeGreaterThanOrEqual(1);
    for (const bad of ['0', '-2', '1.5', 'two']) {
      expect(() => wasmThreadsWanted({ CLASS_IT_WASM_THREADS: bad })).toThrow(`CLASS_IT_WASM_THREADS must be a whole number ≥ 1, got '${bad}'`);
    }
  });

  it('runs on 2 threads, gives the bits of 1 thread, the values of the cpu backend, and lets the process exit', async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'wasm-threads-test-'));
    const [two, one, cpu] = await Promise.all([run('wasm', 2, { TMPDIR: scratch }), run('wasm', 1), run('cpu')]);
    // The worker script's folder is gone once the backend has started.
    expect(readdirSync(scratch)).toEqual([]);
    rmSync(scratch, { recursive: true, force: true });
    expect(two.engine.backend).toBe('wasm');
    expect(two.engine.wasmThreads).toBe(2);
    expect(two.engine.wasmThreadsNote).toBeUndefined();
    expect(one.engine.wasmThreads).toBe(1);
    // XNNPACK splits work by output tiles; every element is computed in the same order on any thread.
    expect(two.loss).toBe(one.loss);
    expect(two.gradients).toEqual(one.gradients);
    // The wasm rewrites (sums over rows as products, GELU through a sigmoid, the cross-entropy from a softmax) are
    // the same math as the other backends' forms, in other roundings.
    expect(two.loss).toBeCloseTo(cpu.loss, 5);
    expect(two.loss).toBeGreaterThan(1); // a real loss (log 500 = 6.2 at uniform), not an empty computation
    for (const [name, grad] of Object.entries(cpu.gradients)) {
      const scale = grad.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
      const worst = grad.reduce((m, g, i) => Math.max(m, Math.abs(g - two.gradients[name]![i]!)), 0);
      expect(worst / scale, name).toBeLessThan(1e-4);
    }
  });

  it('falls back to the single-threaded build, and says why, when the threaded one cannot start', async () => {
    // The worker script cannot be written: no temporary folder.
    const [fallback, one] = await Promise.all([run('wasm', 2, { TMPDIR: '/nonexistent/class-it-test' }), run('wasm', 1)]);
    expect(fallback.engine.backend).toBe('wasm');
    expect(fallback.engine.wasmThreads).toBe(1);
    expect(fallback.engine.wasmThreadsNote).toMatch(/^the threaded build did not start: .*ENOENT/);
    expect(fallback.loss).toBe(one.loss);
  });

  it('a bad CLASS_IT_WASM_THREADS stops the engine with one line that names it and its value', async () => {
    const result = await runTsChild(CHILD, ['wasm'], { CLASS_IT_WASM_THREADS: 'two' });
    expect(result.status).not.toBe(0);
    // The whole reason is on the error's first line, which is what the CLI prints without --verbose.
    expect(result.stderr).toContain("backend 'wasm' could not be loaded: wasm: CLASS_IT_WASM_THREADS must be a whole number ≥ 1, got 'two'\n");
  });
});
