import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/{unit,functions,infra,integration,e2e}/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/setup.ts'],
  },
});
