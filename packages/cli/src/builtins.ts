/** Plugins that ship with the CLI's own dependencies (the curricula and the markdown/HTML reporter), registered before discovery. */
import { createRequire } from 'node:module';
import type { PluginDefinition, PluginRegistry } from '@class-it/core';
import { builtinCurricula } from '@class-it/instruct';
import { builtinReporters } from '@class-it/report';

const require = createRequire(import.meta.url);
const versionOf = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;

export function registerBuiltins(registry: PluginRegistry): void {
  const groups: Array<[string, PluginDefinition[]]> = [['@class-it/instruct', builtinCurricula], ['@class-it/report', builtinReporters]];
  for (const [packageName, defs] of groups) {
    for (const def of defs) registry.register(def, { packageName, packageVersion: versionOf(packageName) });
  }
}
