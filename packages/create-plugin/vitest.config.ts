import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['class-it-source'] },
  // vitest resolves test imports on its server side: the condition must be set there too to test sources, not dist
  ssr: { resolve: { conditions: ['class-it-source'] } },
  test: { include: ['test/**/*.test.ts', 'src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
