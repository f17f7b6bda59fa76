import { execFileSync } from 'node:child_process';
import { ROOT } from '../k8s/support.js';

/** The node's bridge address: the API server, the kubelet and the broker the pods use listen on it. */
export const NODE_IP = '10.244.0.1';

/**
 * Brings up the real one-node cluster (scripts/k8s/node/cluster.sh: control plane, containerd, kubelet,
 * kube-proxy, CoreDNS, kube-router; the app images imported) and a broker on the bridge address that pods
 * reach (scripts/kafka/kafka.sh with KAFKA_LISTEN_ADDR, its own run dir). Tears both down afterwards — the
 * host back as it was — unless the cluster was already up.
 */
export default function setup(): () => void {
  const cluster = `${ROOT}scripts/k8s/node/cluster.sh`;
  const kafka = `${ROOT}scripts/kafka/kafka.sh`;
  const kafkaPort = process.env.NODE_KAFKA_PORT ?? '29092';
  const kafkaEnv = {
    ...process.env,
    KAFKA_HOME_DIR: process.env.NODE_KAFKA_HOME_DIR ?? `${ROOT}.cache/k8s/node-kafka`,
    KAFKA_LISTEN_ADDR: NODE_IP,
    KAFKA_PORT: kafkaPort,
    KAFKA_CONTROLLER_PORT: process.env.NODE_KAFKA_CONTROLLER_PORT ?? '29093',
    KAFKA_HEAP_OPTS: '-Xms256m -Xmx512m',
  };
  const wasUp = (() => {
    try {
      execFileSync(cluster, ['status'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const teardown = () => {
    if (wasUp) return;
    try {
      execFileSync(kafka, ['clean'], { stdio: 'inherit', env: kafkaEnv });
    } finally {
      execFileSync(cluster, ['down'], { stdio: 'inherit' });
    }
  };
  try {
    execFileSync(cluster, ['up'], { stdio: 'inherit' });
    execFileSync(kafka, ['up'], { stdio: 'inherit', env: kafkaEnv });
    const env = execFileSync(cluster, ['env'], { encoding: 'utf8' });
    const kubeconfig = /KUBECONFIG=([^;\s]+)/.exec(env)?.[1];
    const toolPath = /export PATH=([^:"]+)/.exec(env)?.[1];
    if (!kubeconfig || !toolPath) throw new Error(`cannot read cluster.sh env: ${env}`);
    process.env.K8S_KUBECONFIG = kubeconfig;
    process.env.K8S_TOOL_PATH = toolPath;
    process.env.KAFKA_BROKERS = `${NODE_IP}:${kafkaPort}`;
  } catch (error) {
    teardown();
    throw error;
  }
  return teardown;
}
