import { defineConfig } from 'vitest/config';

// The whole suite: every package's own vitest config is one project.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'packages/eval-zeroshot/*/vitest.config.ts', 'tools/vitest.config.mts'],
  },
});
