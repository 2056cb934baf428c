import { defineConfig } from 'vitest/config';

// The benchmark runs through vitest so it can use the packages' TypeScript sources directly (no build step).
export default defineConfig({
  resolve: { conditions: ['class-it-source'] },
  ssr: { resolve: { conditions: ['class-it-source'], externalConditions: ['class-it-source'] } },
  test: { include: ['*.bench.ts'], testTimeout: 3_600_000, hookTimeout: 600_000, reporters: ['dot'] },
});
