/**
 * Plugin discovery: find installed packages whose package.json has a `"class-it"` field, check the manifest,
 * import the entry, and return what loaded and what failed. One broken plugin never stops the others.
 */
import { promises as fs, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { PLUGIN_KINDS, isPluginDefinition, type PluginDefinition, type PluginKind } from './define.js';

export interface PluginManifest {
  kind: PluginKind;
  entry: string;
  /** Semver range of @class-it/core this plugin works with. */
  core?: string;
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

export function validateManifest(raw: unknown, coreVersion: string): PluginManifest | string {
  if (typeof raw !== 'object' || raw === null) return `"class-it" field must be an object`;
  const m = raw as Record<string, unknown>;
  if (typeof m.kind !== 'string' || !PLUGIN_KINDS.includes(m.kind as PluginKind)) {
    return `"class-it".kind must be one of ${PLUGIN_KINDS.join(', ')} (got ${JSON.stringify(m.kind)})`;
  }
  if (typeof m.entry !== 'string' || m.entry === '') return `"class-it".entry must name the plugin module`;
  if (m.core !== undefined) {
    if (typeof m.core !== 'string' || !semver.validRange(m.core)) return `"class-it".core must be a semver range (got ${JSON.stringify(m.core)})`;
    if (!semver.satisfies(coreVersion, m.core, { includePrerelease: true })) {
      return `needs @class-it/core ${m.core}, but core ${coreVersion} is installed`;
    }
  }
  return { kind: m.kind as PluginKind, entry: m.entry, core: m.core as string | undefined };
}

export async function discoverPlugins(options: DiscoveryOptions): Promise<DiscoveryResult> {
  const plugins: DiscoveredPlugin[] = [];
  const problems: PluginProblem[] = [];
  for (const dir of await candidatePackageDirs(options)) {
    const pkg = await readPackageJson(dir);
    if (!pkg || !('class-it' in pkg)) continue;
    const packageName = String(pkg.name ?? path.basename(dir));
    const packageVersion = String(pkg.version ?? '0.0.0');
    const manifest = validateManifest(pkg['class-it'], options.coreVersion);
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
    plugins.push({ packageName, packageVersion, packageDir: dir, definitions });
  }
  return { plugins, problems };
}
