import { describe, expect, it, onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { CHART, type K8sObject, mustRun, renderChart, run, uniqueName } from './support.js';

const MONITORING_ON = [
  'monitoring.podMonitors.enabled=true',
  'monitoring.podMonitors.labels.release=kube-prometheus-stack',
  'monitoring.rules.enabled=true',
  'monitoring.rules.alertLabels.team=fraud',
  'monitoring.grafanaDashboard.enabled=true',
  'monitoring.grafanaDashboard.annotations.grafana_folder=Scam detector',
];
const MONITORING_KINDS = ['PodMonitor', 'PrometheusRule'];
const isMonitoring = (o: K8sObject) =>
  MONITORING_KINDS.includes(o.kind) || o.metadata.name.endsWith('-grafana-dashboard');
const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

describe('the monitoring switches (Prometheus Operator CRDs from its Go module on the real API server)', async () => {
  const off = await renderChart();
  const on = await renderChart({ set: MONITORING_ON });

  it('add nothing by default', () => {
    expect(off.filter(isMonitoring).map(key)).toEqual([]);
  });

  it('add PodMonitors for the processors, producer and dashboard, a PrometheusRule and the Grafana ConfigMap, and change nothing else', () => {
    expect(on.filter(isMonitoring).map(key).sort()).toEqual([
      'ConfigMap/rel-scam-detector-grafana-dashboard',
      'PodMonitor/rel-scam-detector-dashboard',
      'PodMonitor/rel-scam-detector-processor',
      'PodMonitor/rel-scam-detector-producer',
      'PrometheusRule/rel-scam-detector',
    ]);
    // Every other object (pods, RBAC, NetworkPolicies) is exactly the default one, so the Restricted, RBAC and
    // render tests of the default values hold with monitoring on too.
    expect(on.filter((o) => !isMonitoring(o))).toEqual(off);
  });

  it('select pods that the chart runs, on the port that serves /metrics, with job = component', () => {
    const pods = on.filter((o) => o.kind === 'Deployment');
    for (const monitor of on.filter((o) => o.kind === 'PodMonitor')) {
      const spec = monitor.spec as {
        jobLabel: string;
        selector: { matchLabels: Record<string, string> };
        podMetricsEndpoints: { port: string; path: string }[];
      };
      expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
      const selected = pods.filter((d) => {
        const labels = (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template
          .metadata.labels;
        return Object.entries(spec.selector.matchLabels).every(([k, v]) => labels[k] === v);
      });
      expect(selected, monitor.metadata.name).toHaveLength(1);
      const podSpec = (selected[0] as K8sObject).spec as {
        template: { spec: { containers: { ports: { name: string }[] }[] } };
      };
      const container = podSpec.template.spec.containers[0];
      expect(container?.ports.map((p) => p.name)).toContain(spec.podMetricsEndpoints[0]?.port);
      expect(spec.podMetricsEndpoints[0]?.path).toBe('/metrics');
      expect(spec.jobLabel).toBe('app.kubernetes.io/component');
    }
  });

  it('label the dashboard for the Grafana sidecar and carry valid dashboard JSON', () => {
    const configMap = on.find((o) => o.metadata.name.endsWith('-grafana-dashboard')) as K8sObject & {
      data: Record<string, string>;
    };
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    expect(configMap.metadata.annotations?.grafana_folder).toBe('Scam detector');
    const dashboard = JSON.parse(configMap.data['scam-detector.json'] ?? '') as {
      panels: { targets: { expr: string }[] }[];
    };
    expect(dashboard.panels.flatMap((p) => p.targets).length).toBeGreaterThan(10);
  });

  it('pass strict server-side validation of the real API server, and helm lint --strict', async () => {
    const namespace = uniqueName('monitoring');
    await mustRun('kubectl', ['create', 'namespace', namespace]);
    onTestFinished(async () => {
      await run('kubectl', ['delete', 'namespace', namespace, '--wait=false']);
    });
    const manifest = on
      .filter(isMonitoring)
      .map((o) => stringify(o))
      .join('---\n');
    const applied = await run(
      'kubectl',
      ['apply', '--dry-run=server', '--validate=strict', '--namespace', namespace, '-f', '-'],
      { input: manifest },
    );
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(
      'prometheusrule.monitoring.coreos.com/rel-scam-detector created (server dry run)',
    );
    expect(applied.stdout).toContain(
      'podmonitor.monitoring.coreos.com/rel-scam-detector-processor created (server dry run)',
    );
    const lintArgs = ['lint', '--strict', CHART, ...MONITORING_ON.flatMap((s) => ['--set', s])];
    expect((await run('helm', lintArgs)).code).toBe(0);
  });

  it('has the API server reject a PodMonitor field it does not know (the CRD schema is really enforced)', async () => {
    const monitor = on.find((o) => o.kind === 'PodMonitor') as K8sObject;
    const broken = { ...monitor, spec: { ...monitor.spec, podMetricsEndpointz: [] } };
    const applied = await run(
      'kubectl',
      ['apply', '--dry-run=server', '--validate=strict', '--namespace', 'default', '-f', '-'],
      { input: JSON.stringify(broken) },
    );
    expect(applied.code).not.toBe(0);
    expect(applied.stderr).toContain('podMetricsEndpointz');
  });

  it.each([
    ['a bad duration', 'monitoring.rules.lag.for=ten minutes', '/monitoring/rules/lag/for'],
    [
      'a deviation above 1',
      'monitoring.rules.scamRate.maxDeviation=2',
      '/monitoring/rules/scamRate/maxDeviation',
    ],
    ['an unknown monitoring value', 'monitoring.serviceMonitors.enabled=true', 'serviceMonitors'],
  ])('rejects %s with a message naming the value', async (_name, setting, path) => {
    const result = await run('helm', ['template', 'rel', CHART, '--set', setting]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(path);
  });
});
