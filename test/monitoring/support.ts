import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHART = `${ROOT}charts/scam-detector`;

const printed = (script: string, flag: string) =>
  execFileSync(`${ROOT}${script}`, [flag], { encoding: 'utf8' }).trim();

/** prometheus and promtool, built by scripts/prometheus/build.sh (`make test-monitoring` builds them first). */
export const PROMETHEUS_DIR = printed('scripts/prometheus/build.sh', '--print-dir');
/** helm, built by scripts/k8s/build-tools.sh (HELM_BIN names another helm 3 binary, for a quick local run). */
export const HELM =
  process.env.HELM_BIN ?? join(printed('scripts/k8s/build-tools.sh', '--print-bin-dir'), 'helm');

export interface Rendered {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** The chart rendered by the real helm with monitoring on, release "rel" in namespace "scam", plus `set`. */
export function renderMonitoring(set: string[] = []): Rendered[] {
  const args = ['template', 'rel', CHART, '--namespace', 'scam', '--kube-version', '1.34.4'];
  for (const value of [
    'monitoring.podMonitors.enabled=true',
    'monitoring.rules.enabled=true',
    'monitoring.grafanaDashboard.enabled=true',
    ...set,
  ])
    args.push('--set', value);
  const text = execFileSync(HELM, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Rendered | null)
    .filter((doc): doc is Rendered => doc !== null && typeof doc === 'object' && 'kind' in doc);
}

/** The rule groups of the rendered PrometheusRule, as a Prometheus rules file. */
export function rulesFile(objects: Rendered[]): string {
  const rule = objects.find((o) => o.kind === 'PrometheusRule');
  if (!rule?.spec) throw new Error('the chart rendered no PrometheusRule');
  return stringify({ groups: rule.spec.groups });
}

/** The expressions of every panel of the rendered Grafana dashboard. */
export function dashboardQueries(objects: Rendered[]): { panel: string; expr: string }[] {
  const configMap = objects.find((o) => o.metadata.name.endsWith('-grafana-dashboard'));
  const json = configMap?.data?.['scam-detector.json'];
  if (!json) throw new Error('the chart rendered no Grafana dashboard');
  const dashboard = JSON.parse(json) as { panels: { title: string; targets: { expr: string }[] }[] };
  return dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
}

/** A temporary directory removed when the test finishes. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { cpSync, writeFileSync };
