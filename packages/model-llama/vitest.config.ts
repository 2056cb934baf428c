import { defineConfig } from 'vitest/config';

// Tests run on the packages' sources: the `class-it-source` export condition, for the client and the SSR
// (node) resolver alike, so a missing or stale dist/ of a dependency never matters.
export default defineConfig({
  resolve: { conditions: ['class-it-source'] },
  ssr: { resolve: { conditions: ['class-it-source'], externalConditions: ['class-it-source'] } },
  test: { include: ['test/**/*.test.ts', 'src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
