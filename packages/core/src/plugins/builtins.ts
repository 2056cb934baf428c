/** Plugins that ship inside core (the curricula and the markdown/HTML reporter), registered before discovery. */
import type { PluginRegistry } from './registry.js';
import { builtinCurricula } from '../curricula/index.js';
import { builtinReporters } from '../report/reporter.js';
import { CORE_VERSION } from '../version.js';

export function registerBuiltins(registry: PluginRegistry): void {
  for (const def of [...builtinCurricula, ...builtinReporters]) {
    registry.register(def, { packageName: '@class-it/core', packageVersion: CORE_VERSION });
  }
}
