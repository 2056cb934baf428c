import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['class-it-source'] },
  ssr: { resolve: { conditions: ['class-it-source'], externalConditions: ['class-it-source'] } },
  test: { include: ['test/**/*.test.ts', 'src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
