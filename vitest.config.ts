import { defineConfig } from 'vitest/config';

/**
 * Tests that change this machine (as root they really install a CA in the OS trust store and NSS databases and
 * switch GNOME's proxy settings) run only when asked: TRAFFIC_RECORDER_MACHINE_TESTS=1, which .ci/run sets on its
 * throwaway machine. They share global state, so they run in a second group, one file at a time, after the rest.
 */
const MACHINE_TESTS = ['src-main/os/**/*.int.test.ts', 'src-main/server/machine-routes.int.test.ts'];
const machineTestsWanted = process.env.TRAFFIC_RECORDER_MACHINE_TESTS === '1';
if (!machineTestsWanted && !process.env.VITEST_WORKER_ID) {
  console.log(
    'Skipping the tests that change this machine (OS trust store, system proxy): set TRAFFIC_RECORDER_MACHINE_TESTS=1 to run them (.ci/run does).',
  );
}

const shared = {
  environment: 'node' as const,
  // Sessions in tests may only contact this machine: a browser's background requests through a proxy under test
  // must never turn into DNS lookups or connections outside loopback (see upstream-policy.ts).
  env: { TRAFFIC_RECORDER_LOOPBACK_ONLY: '1' },
  testTimeout: 30_000,
  hookTimeout: 30_000,
  // Integration tests open real ports and child processes; two cores.
  pool: 'forks' as const,
  maxWorkers: 2,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'main',
          include: ['src-*/**/*.test.ts', 'src-*/**/*.test.tsx'],
          exclude: ['**/node_modules/**', ...MACHINE_TESTS],
          sequence: { groupOrder: 0 },
        },
      },
      ...(machineTestsWanted
        ? [
            {
              test: {
                ...shared,
                name: 'machine',
                include: MACHINE_TESTS,
                fileParallelism: false,
                sequence: { groupOrder: 1 },
              },
            },
          ]
        : []),
    ],
  },
});
