/**
 * The one naming rule of a generated evaluator plugin: the name (lower-case words joined by `-` or `_`) IS the
 * evaluator's name and its task name; the package is `eval-<name>` (under a scope, or `class-it-eval-<name>` outside
 * one); the class is the name in PascalCase + `Evaluator`.
 */
export const NAME_PATTERN = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;

export interface PluginNames {
  /** Evaluator (plugin) name and task name, e.g. `my-pairs`. */
  name: string;
  task: string;
  /** npm package name, e.g. `@class-it/eval-my-pairs` or `class-it-eval-my-pairs`. */
  packageName: string;
  className: string;
}

export function pluginNames(name: string, scope?: string): PluginNames {
  if (!NAME_PATTERN.test(name)) {
    throw new Error(`plugin name must be lower-case words joined by '-' or '_', e.g. my-pairs (got '${name}')`);
  }
  if (scope !== undefined && !/^@[a-z0-9][a-z0-9._-]*$/.test(scope)) throw new Error(`scope must look like @my-org (got '${scope}')`);
  const words = name.split(/[-_]/);
  return {
    name,
    task: name,
    packageName: scope ? `${scope}/eval-${name}` : `class-it-eval-${name}`,
    className: words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') + 'Evaluator',
  };
}
