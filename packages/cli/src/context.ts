/** What every CLI command shares: the plugin registry (discovered once) and output helpers. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PluginRegistry, readPluginManifests, type DiscoveryOptions, type InstalledManifest } from '@class-it/core';
import { registerBuiltins } from './builtins.js';
import { CORE_VERSION } from '@class-it/core';

export interface CliContext {
  /** Extra plugin search paths from `--plugin-path` and CLASS_IT_PLUGIN_PATH. */
  pluginPaths: string[];
  getRegistry(): Promise<PluginRegistry>;
  /** The installed plugins' manifests, read without importing any plugin (fast: help texts). */
  getManifests(): Promise<InstalledManifest[]>;
}

export function createCliContext(pluginPaths: string[] = []): CliContext {
  let registry: Promise<PluginRegistry> | undefined;
  const discoveryOptions = (): DiscoveryOptions => {
    const fromEnv = (process.env.CLASS_IT_PLUGIN_PATH ?? '').split(path.delimiter).filter(Boolean);
    // Plugins installed beside the project (cwd) and beside this CLI package.
    const cliDir = path.dirname(fileURLToPath(import.meta.url));
    return { coreVersion: CORE_VERSION, searchFrom: [process.cwd(), cliDir], extraPaths: [...ctx.pluginPaths, ...fromEnv] };
  };
  const ctx: CliContext = {
    pluginPaths,
    getRegistry() {
      registry ??= (async () => {
        const reg = new PluginRegistry();
        registerBuiltins(reg);
        await reg.discover(discoveryOptions());
        return reg;
      })();
      return registry;
    },
    getManifests: () => readPluginManifests(discoveryOptions()),
  };
  return ctx;
}
