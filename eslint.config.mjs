// The package rules of ARCHITECTURE (README), enforced: typescript-eslint's recommended rules plus Nx's
// module-boundary rule over the tags each package declares in its package.json ("nx": {"tags": [...]}).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

const tensors = ['@tensorflow/*'];

/** Which packages each kind of package may import (a package may always import itself). */
export const depConstraints = [
  // core: contracts and the plugin kernel; no plugin, no tensor library, no CLI or data machinery
  { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'],
    bannedExternalImports: [...tensors, 'commander', 'yaml', 'hyparquet', '@huggingface/*'] },
  { sourceTag: 'scope:tokenizers', onlyDependOnLibsWithTags: ['scope:core'], bannedExternalImports: tensors },
  { sourceTag: 'scope:data-sources', onlyDependOnLibsWithTags: ['scope:core'], bannedExternalImports: tensors },
  { sourceTag: 'scope:instruct', onlyDependOnLibsWithTags: ['scope:core'], bannedExternalImports: tensors },
  { sourceTag: 'scope:report', onlyDependOnLibsWithTags: ['scope:core', 'scope:data-sources'], bannedExternalImports: tensors },
  { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:core', 'scope:data-sources', 'scope:instruct', 'scope:report'], bannedExternalImports: tensors },
  { sourceTag: 'scope:runtime', onlyDependOnLibsWithTags: ['scope:core', 'scope:tokenizers'] },
  // plugins meet only through core's contracts; they never import each other
  { sourceTag: 'type:architecture', onlyDependOnLibsWithTags: ['scope:core', 'scope:runtime'] },
  { sourceTag: 'type:dataset', onlyDependOnLibsWithTags: ['scope:core', 'scope:data-sources'], bannedExternalImports: tensors },
  // evaluators never touch tensors
  { sourceTag: 'scope:eval-shared', onlyDependOnLibsWithTags: ['scope:core', 'scope:data-sources'], bannedExternalImports: tensors },
  { sourceTag: 'type:evaluator', onlyDependOnLibsWithTags: ['scope:core', 'scope:data-sources', 'scope:eval-shared'], bannedExternalImports: tensors },
  // tools: generators, scripts and the cross-package integration tests may use everything
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['*'] },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', '**/runs/**', 'bench/out/**', 'test-results/**', '.cache/**', '.venv/**',
    'tools/generators/*/files/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { plugins: { '@nx': nx } },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly',
      clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly',
      AbortController: 'readonly', fetch: 'readonly', performance: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly',
      setImmediate: 'readonly', __dirname: 'readonly', NodeJS: 'readonly', Response: 'readonly', globalThis: 'readonly' } },
    rules: {
      '@nx/enforce-module-boundaries': ['error', { allow: [], depConstraints, banTransitiveDependencies: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // A package's own tests may also use the character-level test tokenizer (@class-it/tokenizers/testing).
    files: ['packages/**/test/**'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { allow: [], banTransitiveDependencies: true,
        depConstraints: depConstraints.map((c) => c.onlyDependOnLibsWithTags.includes('*') ? c : { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'scope:tokenizers'] }) }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
