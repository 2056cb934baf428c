/** What every CLI command shares: the plugin registry (discovered once) and output helpers. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PluginRegistry } from '@class-it/core';
import { registerBuiltins } from './builtins.js';
import { CORE_VERSION } from '@class-it/core';

export interface CliContext {
  /** Extra plugin search paths from `--plugin-path` and CLASS_IT_PLUGIN_PATH. */
  pluginPaths: string[];
  getRegistry(): Promise<PluginRegistry>;
}

export function createCliContext(pluginPaths: string[] = []): CliContext {
  let registry: Promise<PluginRegistry> | undefined;
  const ctx: CliContext = {
    pluginPaths,
    getRegistry() {
      registry ??= (async () => {
        const fromEnv = (process.env.CLASS_IT_PLUGIN_PATH ?? '').split(path.delimiter).filter(Boolean);
        const reg = new PluginRegistry();
        registerBuiltins(reg);
        // Plugins installed beside the project (cwd) and beside this core package.
        const coreDir = path.dirname(fileURLToPath(import.meta.url));
        await reg.discover({ coreVersion: CORE_VERSION, searchFrom: [process.cwd(), coreDir], extraPaths: [...ctx.pluginPaths, ...fromEnv] });
        return reg;
      })();
      return registry;
    },
  };
  return ctx;
}
