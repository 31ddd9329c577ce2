import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// The two files that take longest, by far: the Kubernetes drill (a real cluster booted, upgraded,
// replaced and rebooted, about 41 minutes beside the rest) and the emulator's applies (about 25).
// Started first, each on a worker of its own, so the rest of the suite runs beside them on the third
// instead of after the applies (which made the whole 47 minutes in the CI run of c7a07fe).
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
    // Three files at a time even on two cores (vitest's default there is one): most of the suite's
    // time is spent waiting on terraform, moto, etcd and kubelets, not on the test workers.
    maxWorkers: 3,
    sequence: { sequencer: LongestFirst },
  },
});
