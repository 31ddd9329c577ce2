import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// The two files that take longest, by far: the Kubernetes drill (a real cluster booted, upgraded,
// replaced and rebooted) and the emulator's applies. Started first, on the two workers, so the rest
// of the suite runs beside them instead of after them.
const LONGEST = ['test/k8s/cluster.test.ts', 'test/emulator/apply.test.ts'];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((l) => f.moduleId.endsWith(l));
      return i < 0 ? LONGEST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // terraform runs take seconds each; the suite measures nothing about speed (see npm run bench).
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Two files at a time even on two cores (vitest's default there is one): most of the suite's
    // time is spent waiting on terraform, moto, etcd and kubelets, not on the test workers.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
  },
});
