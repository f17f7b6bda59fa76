import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the TypeScript sources of the shared packages, so they never see a stale build.
export default defineConfig({
  resolve: {
    alias: {
      '@scam-detector/core': source('./services/core/src/index.ts'),
      '@scam-detector/transport': source('./services/transport/src/index.ts'),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['services/*/test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        // Against the real broker (scripts/kafka/kafka.sh up; `make test` starts it). The processes under test
        // are the built services (dist/), so build first. One file at a time: they share the broker and the CPU.
        extends: true,
        test: {
          name: 'integration',
          include: ['services/*/test/**/*.int.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});
