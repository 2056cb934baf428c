/**
 * Plugin discovery: find installed packages whose package.json has a `"class-it"` field, check the manifest,
 * import the entry, and return what loaded and what failed. One broken plugin never stops the others.
 *
 * A manifest: `"class-it": {"kind": "evaluator", "entry": "./dist/plugin.js", "plugins": ["blimp"],
 * "tasks": ["blimp", "blimp_supplement"]}` (`modelTypes` for an architecture). The range of @class-it/core a
 * plugin works with is its `peerDependencies["@class-it/core"]`, the one range a release updates.
 */
import { promises as fs, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { PLUGIN_KINDS, isPluginDefinition, type PluginDefinition, type PluginKind } from './define.js';

export const CORE_PACKAGE = '@class-it/core';

export interface PluginManifest {
  kind: PluginKind;
  entry: string;
  /** Names of the plugins the entry defines (checked when it loads). */
  plugins?: string[];
  /** Evaluators: the task names served. */
  tasks?: string[];
  /** Architectures: the HF `model_type`s loaded. */
  modelTypes?: string[];
  /** Semver range of @class-it/core this plugin works with: its peerDependency. */
  core: string;
}

export interface DiscoveredPlugin {
  packageName: string;
  packageVersion: string;
  packageDir: string;
  definitions: PluginDefinition[];
}

export interface PluginProblem {
  packageName: string;
  packageDir: string;
  problem: string;
}

export interface DiscoveryResult {
  plugins: DiscoveredPlugin[];
  problems: PluginProblem[];
}

/** Directories holding installed packages: every `node_modules` from `start` up to the root. */
export function nodeModulesDirs(start: string): string[] {
  const dirs: string[] = [];
  let dir = path.resolve(start);
  for (;;) {
    const nm = path.join(dir, 'node_modules');
    if (existsSync(nm)) dirs.push(nm);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dirs;
}

/** Package directories under a node_modules directory (scoped ones included), resolved through symlinks. */
async function packageDirsIn(nodeModules: string): Promise<string[]> {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = await fs.readdir(nodeModules);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name.startsWith('.')) continue;
    const full = path.join(nodeModules, name);
    if (name.startsWith('@')) {
      let scoped: string[] = [];
      try {
        scoped = await fs.readdir(full);
      } catch {
        continue;
      }
      for (const s of scoped) out.push(path.join(full, s));
    } else {
      out.push(full);
    }
  }
  return out;
}

async function readPackageJson(dir: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export interface DiscoveryOptions {
  /** Directories to look for node_modules from, upwards (default: the working directory). */
  searchFrom?: string[];
  /** Extra package directories or directories of packages (e.g. a plugin under development). */
  extraPaths?: string[];
  /** Version of @class-it/core doing the loading. */
  coreVersion: string;
}

/** Candidate plugin package directories, deduplicated by real path. */
export async function candidatePackageDirs(options: DiscoveryOptions): Promise<string[]> {
  const seen = new Set<string>();
  const result: string[] = [];
  const add = async (dir: string) => {
    let real: string;
    try {
      real = await fs.realpath(dir);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    result.push(real);
  };
  for (const extra of options.extraPaths ?? []) {
    if (existsSync(path.join(extra, 'package.json'))) await add(extra);
    else for (const d of await packageDirsIn(extra)) await add(d);
  }
  for (const start of options.searchFrom ?? [process.cwd()]) {
    for (const nm of nodeModulesDirs(start)) {
      for (const d of await packageDirsIn(nm)) await add(d);
    }
  }
  return result;
}

function stringList(m: Record<string, unknown>, key: string): string[] | undefined | string {
  const v = m[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || x === '')) {
    return `"class-it".${key} must be a non-empty list of names (got ${JSON.stringify(v)})`;
  }
  return v as string[];
}

/** Check a package.json's `"class-it"` manifest and its core range against the running core; a string is the problem. */
export function validateManifest(pkg: Record<string, unknown>, coreVersion: string): PluginManifest | string {
  const raw = pkg['class-it'];
  if (typeof raw !== 'object' || raw === null) return `"class-it" field must be an object`;
  const m = raw as Record<string, unknown>;
  if (typeof m.kind !== 'string' || !PLUGIN_KINDS.includes(m.kind as PluginKind)) {
    return `"class-it".kind must be one of ${PLUGIN_KINDS.join(', ')} (got ${JSON.stringify(m.kind)})`;
  }
  if (typeof m.entry !== 'string' || m.entry === '') return `"class-it".entry must name the plugin module`;
  const lists: Record<string, string[] | undefined> = {};
  for (const key of ['plugins', 'tasks', 'modelTypes']) {
    const list = stringList(m, key);
    if (typeof list === 'string') return list;
    lists[key] = list;
  }
  const peers = pkg.peerDependencies as Record<string, unknown> | undefined;
  const core = peers?.[CORE_PACKAGE];
  if (typeof core !== 'string') {
    return `declares no peerDependencies["${CORE_PACKAGE}"]: a plugin names the range of core it works with there`;
  }
  if (!semver.validRange(core)) return `peerDependencies["${CORE_PACKAGE}"] must be a semver range (got ${JSON.stringify(core)})`;
  if (m.core !== undefined && m.core !== core) {
    return `"class-it".core ${JSON.stringify(m.core)} disagrees with peerDependencies["${CORE_PACKAGE}"] ${JSON.stringify(core)}: remove "class-it".core`;
  }
  if (!semver.satisfies(coreVersion, core, { includePrerelease: true })) {
    return `needs ${CORE_PACKAGE} ${core}, but core ${coreVersion} is installed`;
  }
  return { kind: m.kind as PluginKind, entry: m.entry, plugins: lists.plugins, tasks: lists.tasks, modelTypes: lists.modelTypes, core };
}

export interface InstalledManifest {
  packageName: string;
  packageVersion: string;
  packageDir: string;
  /** The checked manifest, or why it cannot be used. */
  manifest: PluginManifest | string;
}

/** Every installed plugin package's manifest, checked but not imported (fast: for help texts and hints). */
export async function readPluginManifests(options: DiscoveryOptions): Promise<InstalledManifest[]> {
  const out: InstalledManifest[] = [];
  for (const dir of await candidatePackageDirs(options)) {
    const pkg = await readPackageJson(dir);
    if (!pkg || !('class-it' in pkg)) continue;
    out.push({
      packageName: String(pkg.name ?? path.basename(dir)),
      packageVersion: String(pkg.version ?? '0.0.0'),
      packageDir: dir,
      manifest: validateManifest(pkg, options.coreVersion),
    });
  }
  return out;
}

export async function discoverPlugins(options: DiscoveryOptions): Promise<DiscoveryResult> {
  const plugins: DiscoveredPlugin[] = [];
  const problems: PluginProblem[] = [];
  for (const { packageName, packageVersion, packageDir: dir, manifest } of await readPluginManifests(options)) {
    if (typeof manifest === 'string') {
      problems.push({ packageName, packageDir: dir, problem: manifest });
      continue;
    }
    const entryPath = path.resolve(dir, manifest.entry);
    if (!existsSync(entryPath)) {
      problems.push({ packageName, packageDir: dir, problem: `entry ${manifest.entry} not found (is the package built?)` });
      continue;
    }
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(entryPath).href)) as Record<string, unknown>;
    } catch (err) {
      problems.push({ packageName, packageDir: dir, problem: `entry ${manifest.entry} failed to load: ${(err as Error).message}` });
      continue;
    }
    const exported = mod.default ?? mod.plugins;
    const list = Array.isArray(exported) ? exported : [exported];
    const definitions = list.filter(isPluginDefinition);
    if (definitions.length === 0 || definitions.length !== list.length) {
      problems.push({ packageName, packageDir: dir, problem: `entry ${manifest.entry} must default-export definePlugin({...}) or an array of them` });
      continue;
    }
    const wrongKind = definitions.find((d) => d.kind !== manifest.kind);
    if (wrongKind) {
      problems.push({ packageName, packageDir: dir, problem: `declares kind '${manifest.kind}' but its entry defines '${wrongKind.name}' of kind '${wrongKind.kind}'` });
      continue;
    }
    const names = definitions.map((d) => d.name).sort();
    if (manifest.plugins && names.join() !== [...manifest.plugins].sort().join()) {
      problems.push({ packageName, packageDir: dir, problem: `"class-it".plugins lists ${manifest.plugins.join(', ')} but its entry defines ${names.join(', ')}` });
      continue;
    }
    plugins.push({ packageName, packageVersion, packageDir: dir, definitions });
  }
  return { plugins, problems };
}
