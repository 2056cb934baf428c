/**
 * The plugin registry: a tsyringe child container holding every plugin found (plus core's built-in ones),
 * looked up by kind and name.
 */
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { KIND_TOKENS, type PluginContracts, type PluginDefinition, type PluginKind } from './define.js';
import { discoverPlugins, type DiscoveryOptions, type PluginProblem } from './discovery.js';
import { installHint, knownPackageFor, type PluginWanted } from './known.js';
import { ClassItError } from '../util/errors.js';

export interface RegisteredPlugin {
  kind: PluginKind;
  name: string;
  description: string;
  packageName: string;
  packageVersion: string;
}

export class PluginRegistry {
  readonly container: DependencyContainer;
  private readonly entries = new Map<string, { info: RegisteredPlugin; definition: PluginDefinition; instance?: unknown }>();
  readonly problems: PluginProblem[] = [];

  constructor(parent: DependencyContainer = rootContainer) {
    this.container = parent.createChildContainer();
  }

  /** Register one definition. A duplicate (kind, name) is reported as a problem and the first one kept. */
  register(definition: PluginDefinition, source: { packageName: string; packageVersion: string; packageDir?: string }): boolean {
    const key = `${definition.kind}:${definition.name}`;
    const existing = this.entries.get(key);
    if (existing) {
      this.problems.push({
        packageName: source.packageName,
        packageDir: source.packageDir ?? '',
        problem: `duplicate ${definition.kind} plugin '${definition.name}' (already provided by ${existing.info.packageName})`,
      });
      return false;
    }
    for (const service of definition.provides ?? []) {
      this.container.register(service.token, { useFactory: (c) => service.useFactory(c) });
    }
    this.entries.set(key, {
      definition,
      info: { kind: definition.kind, name: definition.name, description: definition.description, packageName: source.packageName, packageVersion: source.packageVersion },
    });
    return true;
  }

  /** Discover installed plugin packages and register them. */
  async discover(options: DiscoveryOptions): Promise<this> {
    const found = await discoverPlugins(options);
    this.problems.push(...found.problems);
    for (const plugin of found.plugins) {
      for (const def of plugin.definitions) this.register(def, plugin);
    }
    return this;
  }

  list(kind?: PluginKind): RegisteredPlugin[] {
    return [...this.entries.values()].map((e) => e.info).filter((i) => !kind || i.kind === kind)
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  }

  has(kind: PluginKind, name: string): boolean {
    return this.entries.has(`${kind}:${name}`);
  }

  /** The plugin instance (created once, through the container). */
  get<K extends PluginKind>(kind: K, name: string): PluginContracts[K] {
    const entry = this.entries.get(`${kind}:${name}`);
    if (!entry) {
      const installed = this.list(kind).map((p) => p.name);
      throw new ClassItError(`no ${kind} plugin named '${name}' is installed (installed: ${installed.join(', ') || 'none'}); ` +
        this.missingHint({ kind, name }));
    }
    if (entry.instance === undefined) {
      const def = entry.definition as PluginDefinition<K>;
      entry.instance = def.useFactory ? def.useFactory(this.container) : this.container.resolve(def.useClass!);
      this.container.register(KIND_TOKENS[kind], { useValue: entry.instance });
    }
    return entry.instance as PluginContracts[K];
  }

  all<K extends PluginKind>(kind: K): Array<PluginContracts[K]> {
    return this.list(kind).map((p) => this.get(kind, p.name));
  }

  /** The evaluator serving a task name (e.g. `blimp_supplement` is served by the `blimp` evaluator). */
  evaluatorFor(task: string): PluginContracts['evaluator'] {
    for (const info of this.list('evaluator')) {
      const ev = this.get('evaluator', info.name);
      if (ev.tasks.includes(task)) return ev;
    }
    const tasks = this.all('evaluator').flatMap((e) => e.tasks);
    throw new ClassItError(`no installed evaluator serves task '${task}' (installed tasks: ${tasks.join(', ') || 'none'}); ` +
      this.missingHint({ task }));
  }

  /** The architecture able to load a given HF `model_type`. */
  architectureFor(modelType: string): PluginContracts['architecture'] {
    for (const info of this.list('architecture')) {
      const arch = this.get('architecture', info.name);
      if (arch.modelTypes.includes(modelType) || arch.name === modelType) return arch;
    }
    throw new ClassItError(`no installed architecture plugin loads model_type '${modelType}' ` +
      `(installed: ${this.list('architecture').map((p) => p.name).join(', ') || 'none'}); ` + this.missingHint({ modelType }));
  }

  /** Which package to install for a missing piece, or why the installed one did not load. */
  missingHint(wanted: PluginWanted): string {
    const known = knownPackageFor(wanted);
    const failed = known && this.problems.find((p) => p.packageName === known.packageName);
    return failed ? `${failed.packageName} is installed but did not load: ${failed.problem}` : installHint(wanted);
  }

  /** The one runtime (the first installed, or the one named). */
  runtime(name?: string): PluginContracts['runtime'] {
    const runtimes = this.list('runtime');
    if (runtimes.length === 0) throw new ClassItError(`no runtime plugin is installed; ${this.missingHint({ kind: 'runtime', name: 'tfjs' })}`);
    return this.get('runtime', name ?? runtimes[0]!.name);
  }
}
