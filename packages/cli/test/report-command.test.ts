import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '@class-it/core';
import { builtinReporters } from '@class-it/report';
import { registerReport } from '../src/commands/report.js';
import { writeSyntheticRun } from '@class-it/report/testing';

describe('class-it report', () => {
  it('the built-in reporter is a plugin, and `class-it report` is wired through commander', async () => {
    expect(builtinReporters.map((d) => [d.kind, d.name])).toEqual([['reporter', 'markdown-html']]);
    const registry = new PluginRegistry();
    const dir = await writeSyntheticRun();
    const program = new Command().exitOverride();
    registerReport(program, async () => registry);
    const out = path.join(dir, 'elsewhere');
    const logs: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (logs.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'class-it', 'report', dir, '--out', out]);
    } finally {
      process.stdout.write = write;
    }
    expect(logs.join('')).toContain(`wrote 11 files to ${out}`);
    expect(registry.has('reporter', 'markdown-html')).toBe(true);
    await expect(fs.stat(path.join(out, 'report.html'))).resolves.toBeTruthy();
    await expect(program.parseAsync(['node', 'class-it', 'report', dir, '--reporter', 'nope'])).rejects.toThrow(/no reporter plugin named 'nope'/);
  });
});
