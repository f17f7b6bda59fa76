import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the TypeScript sources of the shared packages, so they never see a stale build.
export default defineConfig({
  resolve: {
    alias: {
      '@scam-detector/core': source('./services/core/src/index.ts'),
      '@scam-detector/transport': source('./services/transport/src/index.ts'),
      '@scam-detector/kube': source('./services/kube/src/index.ts'),
    },
  },
  test: {
    // expect.poll awaits a condition; a loaded 2-core machine can take seconds where an idle one takes
    // milliseconds, so a poll gives up only after 15 s (a passing poll returns as soon as it holds).
    expect: { poll: { timeout: 15_000 } },
    projects: [
      {
        // The dashboard's server: aggregates, parsing, replay, the HTTP API and the SSE stream, in-process.
        extends: true,
        test: {
          name: 'dashboard',
          include: ['dashboard/test/server/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // The dashboard's page: components and composables in a simulated DOM.
        extends: true,
        plugins: [vue()],
        test: {
          name: 'dashboard-web',
          include: ['dashboard/test/web/**/*.test.ts'],
          environment: 'happy-dom',
          testTimeout: 30_000,
        },
      },
      {
        // The built dashboard in Debian's headless Chromium (playwright-core), replay with no broker, and with
        // the real broker, producer and processor when the broker is up (`make test` starts it). Build first.
        extends: true,
        test: {
          name: 'e2e',
          include: ['dashboard/test/e2e/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['services/*/test/**/*.test.ts', 'test/docs/**/*.test.ts'],
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
      {
        // Against the secured local broker (scripts/kafka/kafka.sh with KAFKA_SECURITY=sasl_ssl; `make test-security`
        // starts it): SASL_SSL, mutual TLS, and the chart's ACLs (charts/scam-detector/kafka-acls.json). Build first.
        extends: true,
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // The chart's alert rules and Grafana dashboard on a real Prometheus and promtool (scripts/prometheus/build.sh)
        // and the real broker: promtool checks and unit tests, then the built services scraped live. Build first.
        extends: true,
        test: {
          name: 'monitoring',
          include: ['test/monitoring/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // Against a real Kubernetes control plane built from source (scripts/k8s/control-plane.sh), with real
        // helm and kind binaries; the global setup starts it and installs the Strimzi and KEDA CRDs.
        extends: true,
        test: {
          name: 'k8s',
          include: ['test/k8s/**/*.test.ts'],
          globalSetup: ['test/k8s/global-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      {
        // The chart on a real one-node cluster (scripts/k8s/node/cluster.sh: kubelet, containerd, kube-proxy,
        // CoreDNS, kube-router's NetworkPolicy firewall) with the images from `make images` and a broker in a pod
        // (KAFKA_BROKERS: its pod IP, for the tests; the chart gets its Service); the global setup starts and stops
        // all of it. Needs root. Build first.
        extends: true,
        test: {
          name: 'k8s-node',
          include: ['test/k8s-node/**/*.test.ts'],
          globalSetup: ['test/k8s-node/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
