import { defineConfig } from 'vitest/config';

// Comparisons with other tools: run by hand (`npx vitest run --config bench/vitest.config.ts`),
// never by `npm test` (the root config's projects do not include bench/).
export default defineConfig({
  test: {
    include: ['bench/**/*.run.ts'],
    pool: 'forks',
    testTimeout: 14_400_000,
    hookTimeout: 600_000,
  },
});
