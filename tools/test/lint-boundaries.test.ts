/**
 * The package rules are enforced by the lint, not by goodwill: ESLint with Nx's module-boundary rule (tags in each
 * package.json, constraints in eslint.config.mjs) rejects a forbidden import and accepts an allowed one.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const workspace = path.resolve(__dirname, '..', '..');

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: workspace });
  const [result] = await eslint.lintText(code, { filePath: path.join(workspace, file) });
  return result!.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('package boundaries (npm run lint)', () => {
  beforeAll(() => {
    // The rule reads Nx's project graph; compute it as `nx run-many -t lint` would.
    const res = spawnSync(process.execPath, [path.join(workspace, 'node_modules/nx/bin/nx.js'), 'show', 'projects'], {
      cwd: workspace, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } });
    expect(res.status, res.stderr).toBe(0);
  });

  it('core may not import a plugin or a tensor library', async () => {
    expect(await boundaryErrors('packages/core/src/probe.ts', "import { TfjsRuntime } from '@class-it/runtime-tfjs';\nexport const r = TfjsRuntime;\n"))
      .not.toEqual([]);
    expect((await boundaryErrors('packages/core/src/probe.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport const t = tf;\n")).join('\n'))
      .toMatch(/@tensorflow\/tfjs-core/);
  });

  it('plugins never import each other, and evaluators never touch tensors', async () => {
    const plugin = await boundaryErrors('packages/eval-zeroshot/blimp/src/probe.ts', "import { GptArchitecture } from '@class-it/model-gpt';\nexport const g = GptArchitecture;\n");
    expect(plugin.join('\n')).toMatch(/type:evaluator.*can only depend on libs tagged with/);
    expect(await boundaryErrors('packages/eval-zeroshot/blimp/src/probe.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport const t = tf;\n")).not.toEqual([]);
  });

  it('allowed imports pass', async () => {
    expect(await boundaryErrors('packages/eval-zeroshot/blimp/src/probe.ts', "import { DataError } from '@class-it/core';\nexport const e = DataError;\n")).toEqual([]);
    expect(await boundaryErrors('packages/model-gpt/src/probe.ts', "import { initEngine } from '@class-it/runtime-tfjs';\nexport const i = initEngine;\n")).toEqual([]);
  });
});
