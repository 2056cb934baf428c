/**
 * The task → package and architecture → package table: each plugin's manifest lists what its entry defines
 * (plugin names, tasks, model types), the loaded plugins really serve those, and core's KNOWN_PLUGINS (used to
 * name a package that is not installed) says the same as the manifests.
 */
import 'reflect-metadata';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_VERSION, KNOWN_PLUGINS, PluginRegistry, readPluginManifests, type PluginManifest } from '@class-it/core';

const workspace = path.resolve(__dirname, '..', '..');

describe('plugin manifests and the known-plugins table', () => {
  it('agree with each other and with what the plugins serve', async () => {
    const installed = (await readPluginManifests({ coreVersion: CORE_VERSION, searchFrom: [workspace] }))
      .filter((m) => m.packageName.startsWith('@class-it/'));
    const manifests = new Map<string, PluginManifest>();
    for (const m of installed) {
      expect(typeof m.manifest, `${m.packageName}: ${String(m.manifest)}`).toBe('object');
      manifests.set(m.packageName, m.manifest as PluginManifest);
    }
    // the table and the manifests: same packages, same names, tasks and model types
    expect([...manifests.keys()].sort()).toEqual(KNOWN_PLUGINS.map((k) => k.packageName).sort());
    for (const known of KNOWN_PLUGINS) {
      const m = manifests.get(known.packageName)!;
      expect({ kind: m.kind, plugins: m.plugins, tasks: m.tasks, modelTypes: m.modelTypes }, known.packageName)
        .toEqual({ kind: known.kind, plugins: known.plugins, tasks: known.tasks, modelTypes: known.modelTypes });
    }

    // the manifests and the loaded plugins
    const registry = await new PluginRegistry().discover({ coreVersion: CORE_VERSION, searchFrom: [workspace] });
    expect(registry.problems.filter((p) => p.packageName.startsWith('@class-it/'))).toEqual([]);
    for (const [packageName, m] of manifests) {
      const defined = registry.list(m.kind).filter((p) => p.packageName === packageName).map((p) => p.name);
      expect(defined.sort(), packageName).toEqual([...m.plugins!].sort());
      if (m.kind === 'evaluator') {
        expect(defined.flatMap((name) => registry.get('evaluator', name).tasks).sort(), packageName).toEqual([...m.tasks!].sort());
        // the table's evaluation kind (which command's --help lists the tasks) is the evaluators' own
        const known = KNOWN_PLUGINS.find((k) => k.packageName === packageName)!;
        for (const name of defined) expect(registry.get('evaluator', name).kind, packageName).toBe(known.evaluation);
      }
      if (m.kind === 'architecture') {
        expect(defined.flatMap((name) => registry.get('architecture', name).modelTypes).sort(), packageName).toEqual([...m.modelTypes!].sort());
      }
    }
  });

  it('every evaluator manifest lists its tasks and every architecture its model types', async () => {
    for (const known of KNOWN_PLUGINS) {
      if (known.kind === 'evaluator') expect(known.tasks?.length, known.packageName).toBeGreaterThan(0);
      if (known.kind === 'architecture') expect(known.modelTypes?.length, known.packageName).toBeGreaterThan(0);
    }
    const readme = await fs.readFile(path.join(workspace, 'README.md'), 'utf8');
    expect(readme).not.toMatch(/"core": "\^0\.1\.0"/);
  });
});
