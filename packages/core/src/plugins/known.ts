/**
 * The class-it plugin packages that exist, so that a missing one can be named by package even when it is not
 * installed (`--task ewok` without @class-it/eval-ewok). Each row repeats what that package's own manifest
 * (`"class-it"` in its package.json) declares; a workspace test keeps the two in step.
 */
import type { PluginKind } from './define.js';
import type { EvaluatorKind } from '../contracts/evaluator.js';

export interface KnownPlugin {
  packageName: string;
  kind: PluginKind;
  /** Plugin names the package's entry defines. */
  plugins: string[];
  /** Evaluators: the task names served, and how they evaluate (which command runs them). */
  tasks?: string[];
  evaluation?: EvaluatorKind;
  /** Architectures: the HF `model_type`s loaded. */
  modelTypes?: string[];
}

export const KNOWN_PLUGINS: readonly KnownPlugin[] = [
  { packageName: '@class-it/runtime-tfjs', kind: 'runtime', plugins: ['tfjs'] },
  { packageName: '@class-it/model-gpt', kind: 'architecture', plugins: ['gpt'], modelTypes: ['gpt2'] },
  { packageName: '@class-it/model-llama', kind: 'architecture', plugins: ['llama'], modelTypes: ['llama'] },
  { packageName: '@class-it/data-conversational', kind: 'dataset', plugins: ['chat', 'dialogue-transcript', 'sharegpt', 'switchboard'] },
  { packageName: '@class-it/data-qa', kind: 'dataset', plugins: ['alpaca', 'simple_wiki', 'squad'] },
  { packageName: '@class-it/eval-blimp', kind: 'evaluator', plugins: ['blimp'], tasks: ['blimp', 'blimp_supplement'], evaluation: 'zero-shot' },
  { packageName: '@class-it/eval-ewok', kind: 'evaluator', plugins: ['ewok'], tasks: ['ewok'], evaluation: 'zero-shot' },
  { packageName: '@class-it/eval-wugs', kind: 'evaluator', plugins: ['wugs'], tasks: ['wug_adj', 'wug_past'], evaluation: 'zero-shot' },
  { packageName: '@class-it/eval-entity-tracking', kind: 'evaluator', plugins: ['entity-tracking'], tasks: ['entity_tracking'], evaluation: 'zero-shot' },
  { packageName: '@class-it/eval-psycholinguistic', kind: 'evaluator', plugins: ['psycholinguistic'], tasks: ['reading'], evaluation: 'zero-shot' },
  { packageName: '@class-it/eval-superglue', kind: 'evaluator', plugins: ['superglue'], tasks: ['boolq', 'multirc', 'rte', 'wsc', 'mrpc', 'qqp', 'mnli', 'glue'], evaluation: 'fine-tuning' },
];

/** What a missing piece is looked up by. */
export type PluginWanted = { kind: PluginKind; name: string } | { task: string } | { modelType: string };

export function knownPackageFor(wanted: PluginWanted): KnownPlugin | undefined {
  return KNOWN_PLUGINS.find((k) =>
    'task' in wanted ? k.tasks?.includes(wanted.task)
      : 'modelType' in wanted ? k.modelTypes?.includes(wanted.modelType)
        : k.kind === wanted.kind && k.plugins.includes(wanted.name));
}

/** The sentence a "not installed" error ends with: the package to install, when one is known. */
export function installHint(wanted: PluginWanted): string {
  const known = knownPackageFor(wanted);
  return known
    ? `it is provided by ${known.packageName}, which is not installed: npm install ${known.packageName}`
    : 'no known class-it package provides it; `class-it plugins` lists what is installed';
}

export interface TaskAvailability {
  task: string;
  packageName: string;
  installed: boolean;
  /** From the known table; undefined for a package class-it does not know (it may serve either kind). */
  evaluation?: EvaluatorKind;
}

/** Every task an installed evaluator package lists, then every known one whose package is not installed. */
export function taskAvailability(installed: Array<{ packageName: string; tasks?: string[] }>): TaskAvailability[] {
  const out: TaskAvailability[] = [];
  const evaluation = (packageName: string) => KNOWN_PLUGINS.find((k) => k.packageName === packageName)?.evaluation;
  for (const p of installed) for (const task of p.tasks ?? []) out.push({ task, packageName: p.packageName, installed: true, evaluation: evaluation(p.packageName) });
  const present = new Set(installed.map((p) => p.packageName));
  for (const k of KNOWN_PLUGINS) {
    if (present.has(k.packageName)) continue;
    for (const task of k.tasks ?? []) out.push({ task, packageName: k.packageName, installed: false, evaluation: k.evaluation });
  }
  return out;
}
