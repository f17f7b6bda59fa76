import { getCurrentScope, onScopeDispose, type Ref, shallowRef, watch } from 'vue';
import type { ModelInfo } from '../../shared/wire.js';

/** /api/model, fetched at start, when the stream's model version changes, and every 30 s. */
export function useModelInfo(currentVersion: Ref<string | null>, fetchImpl: typeof fetch = globalThis.fetch) {
  const info = shallowRef<ModelInfo | null>(null);
  const error = shallowRef<string | null>(null);
  async function refresh(): Promise<void> {
    try {
      const response = await fetchImpl('/api/model', { headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      info.value = (await response.json()) as ModelInfo;
      error.value = null;
    } catch (failure) {
      error.value = (failure as Error).message;
    }
  }
  void refresh();
  const timer = setInterval(() => void refresh(), 30_000);
  watch(currentVersion, (version, previous) => {
    if (version !== previous) void refresh();
  });
  if (getCurrentScope()) onScopeDispose(() => clearInterval(timer));
  return { info, error, refresh };
}
