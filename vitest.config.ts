import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // terraform runs take seconds each; the suite measures nothing about speed (see npm run bench).
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
