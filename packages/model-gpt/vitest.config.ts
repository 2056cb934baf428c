import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their sources (`class-it-source` export condition) in tests, also for
// server-side (node) module resolution, so no build is needed before testing.
export default defineConfig({
  resolve: { conditions: ['class-it-source'] },
  ssr: { resolve: { conditions: ['class-it-source'], externalConditions: ['class-it-source'] } },
  test: { include: ['test/**/*.test.ts', 'src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
