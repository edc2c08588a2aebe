import { defineConfig } from 'vitest/config';

// Unit tests sit next to the code and do no I/O; integration tests under test/ start real servers.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/k8s/**'],
          sequence: { groupOrder: 0 },
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // Against a real kube-apiserver and etcd (test/helpers/kube-control-plane.ts); the
        // global setup builds the binaries once, or says loudly why these tests skip.
        test: {
          name: 'kubernetes',
          include: ['test/k8s/**/*.test.ts'],
          globalSetup: ['test/setup/kube-binaries.ts'],
          // After the other integration tests, not beside them: two cores.
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
