import { getCurrentScope, onScopeDispose, shallowRef, watch } from 'vue';
import type { CallerHistoryView } from '../../shared/wire.js';

/** GET /api/caller/:number for the selected caller: at once when it changes, then every `refreshMs` while one is. */
export function useCallerHistory(
  caller: () => string | null,
  fetchImpl: typeof fetch = globalThis.fetch,
  refreshMs = 3000,
) {
  const history = shallowRef<CallerHistoryView | null>(null);
  const error = shallowRef<string | null>(null);
  let asked = 0;
  async function refresh(): Promise<void> {
    const number = caller();
    if (number === null) return;
    const ticket = ++asked;
    try {
      const response = await fetchImpl(`/api/caller/${encodeURIComponent(number)}`, {
        headers: { accept: 'application/json' },
      });
      if (ticket !== asked) return; // a newer question was asked meanwhile
      if (response.status === 404) {
        history.value = { caller: number, calls: [], limit: 0 };
        error.value = null;
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      history.value = (await response.json()) as CallerHistoryView;
      error.value = null;
    } catch (failure) {
      if (ticket === asked) error.value = (failure as Error).message;
    }
  }
  const timer = setInterval(() => void refresh(), refreshMs);
  watch(
    caller,
    () => {
      history.value = null;
      error.value = null;
      void refresh();
    },
    { immediate: true },
  );
  if (getCurrentScope()) onScopeDispose(() => clearInterval(timer));
  return { history, error, refresh };
}
