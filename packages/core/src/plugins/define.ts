/**
 * How a plugin package declares itself. Its package.json has a `"class-it"` field:
 *   { "kind": "evaluator", "entry": "./dist/plugin.js", "core": "^0.1.0" }
 * and the entry module's default export is `definePlugin({...})`. The class (or factory) is registered in a
 * tsyringe container under the token of its kind; constructor parameters use explicit `@inject(TOKEN)`.
 */
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { ModelArchitecture } from '../contracts/model.js';
import type { InstructionDataset } from '../contracts/dataset.js';
import type { Curriculum } from '../contracts/curriculum.js';
import type { Evaluator } from '../contracts/evaluator.js';
import type { Reporter } from '../contracts/reporter.js';
import type { Runtime } from '../contracts/runtime.js';
import { TOKENS } from '../contracts/tokens.js';

export interface PluginContracts {
  architecture: ModelArchitecture;
  dataset: InstructionDataset;
  curriculum: Curriculum;
  evaluator: Evaluator;
  reporter: Reporter;
  runtime: Runtime;
}

export type PluginKind = keyof PluginContracts;
export const PLUGIN_KINDS: PluginKind[] = ['architecture', 'dataset', 'curriculum', 'evaluator', 'reporter', 'runtime'];

export const KIND_TOKENS: Record<PluginKind, symbol> = {
  architecture: TOKENS.Architecture,
  dataset: TOKENS.Dataset,
  curriculum: TOKENS.Curriculum,
  evaluator: TOKENS.Evaluator,
  reporter: TOKENS.Reporter,
  runtime: TOKENS.Runtime,
};

type Constructor<T> = new (...args: any[]) => T;

export interface PluginDefinition<K extends PluginKind = PluginKind> {
  /** Marks the object as a class-it plugin definition. */
  readonly classIt: 1;
  kind: K;
  /** Unique name within its kind, e.g. `blimp`, `gpt`, `merged`. */
  name: string;
  /** One sentence for `class-it plugins`. */
  description: string;
  /** The implementation: a class resolved through the container, or a factory. */
  useClass?: Constructor<PluginContracts[K]>;
  useFactory?: (container: DependencyContainer) => PluginContracts[K];
  /** Extra services this plugin provides (e.g. a runtime's trainer), registered before the plugin itself. */
  provides?: Array<{ token: InjectionToken<unknown>; useFactory: (container: DependencyContainer) => unknown }>;
}

export function definePlugin<K extends PluginKind>(definition: Omit<PluginDefinition<K>, 'classIt'>): PluginDefinition<K> {
  if (!definition.useClass === !definition.useFactory) {
    throw new Error(`plugin '${definition.name}': give exactly one of useClass or useFactory`);
  }
  return { classIt: 1, ...definition };
}

export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return typeof value === 'object' && value !== null && (value as { classIt?: unknown }).classIt === 1;
}
