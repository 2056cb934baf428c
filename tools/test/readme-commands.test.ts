/**
 * Every command the READMEs name exists: each `npx class-it <command> --flags` answers `--help` (exit 0) and its
 * help lists every flag the README uses; each `npm run <script>` is a root script; the generator and
 * `npm create` package named are there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const workspace = path.resolve(__dirname, '..', '..');
const bin = path.join(workspace, 'packages/cli/bin/class-it.js');

async function readmes(): Promise<string[]> {
  const found = [path.join(workspace, 'README.md'), path.join(workspace, 'bench/README.md')];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name === 'README.md') found.push(full);
    }
  };
  await walk(path.join(workspace, 'packages'));
  await walk(path.join(workspace, 'tools'));
  return found.filter((f) => existsSync(f));
}

/** `npx class-it <command> ...` lines of a README: the command and the flags used with it. */
function classItCommands(text: string): Array<{ command: string; flags: string[]; line: string }> {
  const out = [];
  for (const m of text.matchAll(/npx class-it((?: --[a-z-]+(?: [^\s`-][^\s`]*)?)*) ([a-z][a-z-]*)([^`\n#]*)/g)) {
    const flags = [...`${m[1]} ${m[3]}`.matchAll(/(?:^|\s)(--[a-z][a-z-]*)/g)].map((f) => f[1]!);
    out.push({ command: m[2]!, flags, line: m[0].trim() });
  }
  return out;
}

function help(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args, '--help'], { cwd: workspace, encoding: 'utf8' });
}

describe('the commands the READMEs name', () => {
  it('every class-it command answers --help and lists the flags the README uses', async () => {
    expect(existsSync(path.join(workspace, 'packages/cli/dist/main.js')), 'build the workspace first (npm run build)').toBe(true);
    const commands = new Map<string, Set<string>>();
    for (const file of await readmes()) {
      for (const c of classItCommands(await fs.readFile(file, 'utf8'))) {
        commands.set(c.command, new Set([...(commands.get(c.command) ?? []), ...c.flags]));
      }
    }
    expect([...commands.keys()]).toEqual(expect.arrayContaining(['plugins', 'pretrain', 'train', 'score', 'eval', 'finetune', 'run', 'report']));
    const globalHelp = help([]).stdout;
    for (const [command, flags] of commands) {
      const res = help([command]);
      expect(res.status, `class-it ${command} --help: ${res.stderr}`).toBe(0);
      expect(res.stdout).toContain(`Usage: class-it ${command}`);
      for (const flag of flags) expect(`${res.stdout}\n${globalHelp}`, `class-it ${command} ${flag}`).toContain(`${flag} `);
    }
  });

  it('every command with a --backend option names tensorflow-gpu in its help', () => {
    const commands = [...help([]).stdout.split('Commands:')[1]!.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    const withBackend = commands.filter((c) => help([c]).stdout.includes('--backend'));
    expect(withBackend).toEqual(expect.arrayContaining(['pretrain', 'train', 'score', 'eval', 'finetune']));
    for (const c of withBackend) expect(help([c]).stdout.replace(/\s+/g, ' '), c).toMatch(/auto \| tensorflow \| tensorflow-gpu \| wasm \| cpu/);
  });

  it('eval --help lists the zero-shot tasks, finetune --help the fine-tuning ones', () => {
    const tasksOf = (command: string) => help([command]).stdout.split('Tasks of the installed evaluators:')[1] ?? '';
    const zeroShot = tasksOf('eval');
    const fineTuning = tasksOf('finetune');
    expect(zeroShot).toMatch(/blimp, blimp_supplement {2}\(@class-it\/eval-blimp\)/);
    expect(zeroShot).not.toContain('rte');
    expect(fineTuning).toMatch(/boolq, .*rte.* {2}\(@class-it\/eval-superglue\)/);
    expect(fineTuning).not.toContain('blimp');
  });

  it('a global option before the command keeps the command (--plugin-path X eval)', () => {
    const res = help(['--plugin-path', workspace, 'eval']);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('Usage: class-it eval');
  });

  it('every npm script, generator and create package named exists', async () => {
    const root = JSON.parse(await fs.readFile(path.join(workspace, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const generators = JSON.parse(await fs.readFile(path.join(workspace, 'tools/generators.json'), 'utf8')) as { generators: Record<string, unknown> };
    for (const file of await readmes()) {
      const text = await fs.readFile(file, 'utf8');
      for (const m of text.matchAll(/npm run ([a-z][a-z:-]*)/g)) {
        expect(root.scripts[m[1]!], `${path.relative(workspace, file)}: npm run ${m[1]}`).toBeDefined();
        const script = root.scripts[m[1]!]!.match(/^bash (\S+)/);
        if (script) expect(existsSync(path.join(workspace, script[1]!)), script[1]).toBe(true);
      }
      for (const m of text.matchAll(/npx nx g @class-it\/tools:([a-z-]+)/g)) expect(generators.generators[m[1]!], m[0]).toBeDefined();
      for (const m of text.matchAll(/npm create @class-it\/([a-z-]+)/g)) {
        const pkg = JSON.parse(await fs.readFile(path.join(workspace, 'packages', `create-${m[1]}`, 'package.json'), 'utf8'));
        expect(pkg.name).toBe(`@class-it/create-${m[1]}`);
        expect(Object.keys(pkg.bin ?? {}).length, `${pkg.name} has a bin`).toBeGreaterThan(0);
      }
    }
  });
});
