import { execFileSync } from 'node:child_process';
import { createTopics } from '@scam-detector/transport';
import { ROOT } from '../k8s/support.js';

/** The namespace of the broker pod the chart uses in its external-Kafka mode. */
export const KAFKA_NAMESPACE = 'kafka-node';
const KAFKA_PORT = 9092;

/**
 * A single KRaft broker in a pod (scripts/k8s/node/kafka-image.sh: the jars of scripts/kafka/kafka.sh on a Java
 * runtime, user 1000, read-only root), behind a Service, under the Restricted standard. It advertises its pod IP,
 * which both the pods and this machine (the node) reach.
 */
function kafkaManifest(image: string): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${KAFKA_NAMESPACE}
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: kafka, namespace: ${KAFKA_NAMESPACE}, labels: {app: kafka}}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka}}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: kafka
        image: ${image}
        imagePullPolicy: Never
        env:
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
        - {name: KAFKA_HEAP_OPTS, value: "-Xms256m -Xmx512m"}
        ports: [{name: kafka, containerPort: ${KAFKA_PORT}}]
        readinessProbe:
          tcpSocket: {port: ${KAFKA_PORT}}
          periodSeconds: 2
        resources:
          requests: {cpu: 100m, memory: 600Mi}
          limits: {memory: 1Gi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        volumeMounts:
        - {name: data, mountPath: /var/lib/kafka}
        - {name: tmp, mountPath: /tmp}
      volumes:
      - {name: data, emptyDir: {}}
      - {name: tmp, emptyDir: {}}
---
apiVersion: v1
kind: Service
metadata: {name: kafka, namespace: ${KAFKA_NAMESPACE}}
spec:
  selector: {app: kafka}
  ports: [{name: kafka, port: ${KAFKA_PORT}, targetPort: kafka}]
`;
}

/**
 * Brings up the real one-node cluster (scripts/k8s/node/cluster.sh: control plane, containerd, kubelet,
 * kube-proxy, CoreDNS, kube-router; the app images imported), then the broker pod, and creates the topics.
 * Tears the cluster down afterwards — the host back as it was — unless it was already up (then only the broker's
 * namespace goes).
 * Sets for the suite: KAFKA_BROKERS (the broker pod's IP, which this machine reaches over the node's bridge) and
 * NODE_KAFKA_BOOTSTRAP (the broker's Service name, what the chart is given, as a user would).
 */
export default async function setup(): Promise<() => void> {
  const cluster = `${ROOT}scripts/k8s/node/cluster.sh`;
  const wasUp = (() => {
    try {
      execFileSync(cluster, ['status'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  let kubectl: (args: string[], input?: string) => string = () => '';
  const teardown = () => {
    try {
      kubectl(['delete', 'namespace', KAFKA_NAMESPACE, '--ignore-not-found', '--wait=false']);
    } finally {
      if (!wasUp) execFileSync(cluster, ['down'], { stdio: 'inherit' });
    }
  };
  try {
    execFileSync(cluster, ['up'], { stdio: 'inherit' });
    const env = execFileSync(cluster, ['env'], { encoding: 'utf8' });
    const kubeconfig = /KUBECONFIG=([^;\s]+)/.exec(env)?.[1];
    const toolPath = /export PATH=([^:"]+)/.exec(env)?.[1];
    if (!kubeconfig || !toolPath) throw new Error(`cannot read cluster.sh env: ${env}`);
    process.env.K8S_KUBECONFIG = kubeconfig;
    process.env.K8S_TOOL_PATH = toolPath;
    kubectl = (args, input) =>
      execFileSync(`${toolPath}/kubectl`, ['--kubeconfig', kubeconfig, ...args], {
        encoding: 'utf8',
        input,
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'inherit'],
      });

    const image = execFileSync(`${ROOT}scripts/k8s/node/kafka-image.sh`, { encoding: 'utf8' }).trim();
    execFileSync(cluster, ['import', image], { stdio: 'inherit' });
    const started = Date.now();
    kubectl(['apply', '-f', '-'], kafkaManifest(image.replace(/^localhost\//, 'docker.io/library/')));
    kubectl(['--namespace', KAFKA_NAMESPACE, 'rollout', 'status', 'deployment/kafka', '--timeout=300s']);
    const podIp = kubectl([
      '--namespace',
      KAFKA_NAMESPACE,
      'get',
      'pods',
      '-l',
      'app=kafka',
      '--field-selector=status.phase=Running',
      '-o',
      'jsonpath={.items[0].status.podIP}',
    ]).trim();
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(podIp)) throw new Error(`no IP for the broker pod: '${podIp}'`);
    const brokers = [`${podIp}:${KAFKA_PORT}`];
    // Ready (the port is open) can come a moment before the broker serves admin requests.
    for (let attempt = 1; ; attempt++) {
      try {
        await createTopics(brokers, ['calls_raw', 'calls_scored', 'calls_dlq'], 6);
        break;
      } catch (error) {
        if (Date.now() - started > 300_000) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 500 * attempt)));
      }
    }
    console.log(
      `broker pod ready with its topics in ${((Date.now() - started) / 1000).toFixed(1)} s (${podIp})`,
    );
    process.env.KAFKA_BROKERS = brokers.join(',');
    process.env.NODE_KAFKA_BOOTSTRAP = `kafka.${KAFKA_NAMESPACE}.svc.cluster.local:${KAFKA_PORT}`;
  } catch (error) {
    teardown();
    throw error;
  }
  return teardown;
}
