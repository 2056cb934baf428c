/** Core's built-in curricula, registered by the lead as plugins of kind `curriculum`. */
import { definePlugin, type PluginDefinition } from '@class-it/core';
import { BaselineCurriculum } from './baseline.js';
import { MergedCurriculum } from './merged.js';
import { SequentialCurriculum } from './sequential.js';
import { HybridCurriculum } from './hybrid.js';

export { BaselineCurriculum, MergedCurriculum, SequentialCurriculum, HybridCurriculum };
export { apportion } from './common.js';

export const builtinCurricula: PluginDefinition[] = [
  definePlugin({ kind: 'curriculum', name: 'baseline', description: new BaselineCurriculum().description, useFactory: () => new BaselineCurriculum() }),
  definePlugin({ kind: 'curriculum', name: 'merged', description: new MergedCurriculum().description, useFactory: () => new MergedCurriculum() }),
  definePlugin({ kind: 'curriculum', name: 'sequential', description: new SequentialCurriculum().description, useFactory: () => new SequentialCurriculum() }),
  definePlugin({ kind: 'curriculum', name: 'hybrid', description: new HybridCurriculum().description, useFactory: () => new HybridCurriculum() }),
];
