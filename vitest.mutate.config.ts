import { defineConfig } from 'vitest/config';

/**
 * The tests a mutant can fail (npm run mutate): those that run haform's code in-process. The CLI
 * tests run the built bundle, which Stryker's mutants never reach; terraform, the emulator and the
 * etcd drill take minutes per run.
 */
export default defineConfig({
  test: {
    include: ['test/model/*.test.ts', 'test/spec/*.test.ts', 'test/render/*.test.ts', 'test/generate/{intent,cloud,opentofu,network}.test.ts'],
    testTimeout: 60_000,
  },
});
