import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { statusOf } from './kube.js';

/** The key under which the model JSON sits in its ConfigMap. */
export const MODEL_KEY = 'model.json';

export interface ModelConfigMap {
  namespace: string;
  name: string;
  json: string;
  version: string;
}

/**
 * Creates the model ConfigMap, or replaces it when it exists. Create-then-replace needs exactly the RBAC the
 * chart grants the trainer: create on configmaps, update on this one name. The server validates strictly.
 */
export async function writeModelConfigMap(
  kc: KubeConfig,
  model: ModelConfigMap,
): Promise<'created' | 'replaced'> {
  const api = kc.makeApiClient(CoreV1Api);
  const body: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: model.name,
      namespace: model.namespace,
      labels: { 'app.kubernetes.io/component': 'trainer', 'app.kubernetes.io/part-of': 'scam-detector' },
      annotations: { 'scam-detector/model-version': model.version },
    },
    data: { [MODEL_KEY]: model.json },
  };
  try {
    await api.createNamespacedConfigMap({ namespace: model.namespace, body, fieldValidation: 'Strict' });
    return 'created';
  } catch (error) {
    if (statusOf(error) !== 409) throw error;
  }
  await api.replaceNamespacedConfigMap({
    name: model.name,
    namespace: model.namespace,
    body,
    fieldValidation: 'Strict',
  });
  return 'replaced';
}
