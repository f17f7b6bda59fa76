import { execFileSync } from 'node:child_process';
import { ROOT } from './support.js';

/**
 * Brings up the real control plane once for the suite (building the binaries on a cold machine), installs the
 * Strimzi 1.2.0 CRDs from ../shared, KEDA's CRDs and the Prometheus Operator's CRDs, and stops the control plane afterwards if it started it.
 */
export default function setup(): () => void {
  const script = `${ROOT}scripts/k8s/control-plane.sh`;
  const wasUp = (() => {
    try {
      execFileSync(script, ['status'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const stopIfStartedHere = () => {
    if (!wasUp) execFileSync(script, ['down'], { stdio: 'inherit' });
  };
  try {
    prepare(script);
  } catch (error) {
    stopIfStartedHere();
    throw error;
  }
  return stopIfStartedHere;
}

function prepare(script: string): void {
  execFileSync(script, ['up'], { stdio: 'inherit' });
  const env = execFileSync(script, ['env'], { encoding: 'utf8' });
  const kubeconfig = /KUBECONFIG=([^;\s]+)/.exec(env)?.[1];
  const toolPath = /export PATH=([^:"]+)/.exec(env)?.[1];
  if (!kubeconfig || !toolPath) throw new Error(`cannot read control-plane.sh env: ${env}`);
  process.env.K8S_KUBECONFIG = kubeconfig;
  process.env.K8S_TOOL_PATH = toolPath;
  const kubectl = (...args: string[]) =>
    execFileSync(`${toolPath}/kubectl`, args, {
      stdio: 'inherit',
      env: { ...process.env, KUBECONFIG: kubeconfig },
    });
  const sharedCrds = process.env.STRIMZI_CRDS ?? `${ROOT}../shared/strimzi-crds`;
  kubectl('apply', '--server-side', '--force-conflicts', '-f', sharedCrds);
  const kedaCrds = execFileSync(`${ROOT}scripts/k8s/keda-crds.sh`, { encoding: 'utf8' }).trim();
  kubectl('apply', '--server-side', '--force-conflicts', '-f', `${kedaCrds}/keda.sh_scaledobjects.yaml`);
  // The Prometheus Operator's CRDs (PodMonitor, PrometheusRule, …) from its Go module, for the monitoring switches.
  const operatorCrds = execFileSync(`${ROOT}scripts/prometheus/operator-crds.sh`, {
    encoding: 'utf8',
  }).trim();
  kubectl('apply', '--server-side', '--force-conflicts', '-f', operatorCrds);
  kubectl(
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/kafkas.kafka.strimzi.io',
    'crd/scaledobjects.keda.sh',
    'crd/podmonitors.monitoring.coreos.com',
    'crd/prometheusrules.monitoring.coreos.com',
  );
}
