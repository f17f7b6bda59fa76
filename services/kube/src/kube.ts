import { readFileSync } from 'node:fs';
import { ApiException, KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** In a pod: the service account; on a laptop: KUBECONFIG or ~/.kube/config. The same code path for both. */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

/** KUBE_NAMESPACE wins; then the pod's own namespace; then the kubeconfig context's; then "default". */
export function resolveNamespace(
  kc: KubeConfig,
  env: Record<string, string | undefined> = process.env,
): string {
  const fromEnv = env.KUBE_NAMESPACE?.trim();
  if (fromEnv) return fromEnv;
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
  } catch {
    return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  }
}

export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** A one-line description of an API error: the server's own message when it sent one. */
export function describeApiError(error: unknown): string {
  if (error instanceof ApiException) {
    let message = String(error.body);
    try {
      message = (JSON.parse(String(error.body)) as { message?: string }).message ?? message;
    } catch {
      // The body was not JSON: keep it as text.
    }
    return `HTTP ${error.code}: ${message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
