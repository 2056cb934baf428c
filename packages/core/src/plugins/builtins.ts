/** Plugins that ship inside core (curricula, reporters), registered before discovery. */
import type { PluginRegistry } from './registry.js';
import type { PluginDefinition } from './define.js';
import { CORE_VERSION } from '../version.js';

const builtins: PluginDefinition[] = [];

/** Core modules add their built-in plugin definitions here at import time. */
export function addBuiltins(definitions: PluginDefinition[]): void {
  builtins.push(...definitions);
}

export function registerBuiltins(registry: PluginRegistry): void {
  for (const def of builtins) registry.register(def, { packageName: '@class-it/core', packageVersion: CORE_VERSION });
}
