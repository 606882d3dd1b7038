// A store that mirrors saved results re-reads them when main says they changed, or after a reconnect
// (web mode: events sent meanwhile were lost). Coalesced: a run saves one result per job, and one
// read after the burst is enough.
import { getApi } from './index.js';

export interface ResultsFollower {
  /** Starts following (once; again is a no-op); returns detach. */
  attach(debounceMs?: number): () => void;
  detach(): void;
}

export function followResultsChanges(refresh: () => unknown, defaultDebounceMs = 300): ResultsFollower {
  let unsubscribe: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  function detach(): void {
    unsubscribe?.();
    unsubscribe = undefined;
    if (timer) clearTimeout(timer);
    timer = undefined;
  }
  function attach(debounceMs = defaultDebounceMs): () => void {
    if (!unsubscribe) {
      const later = () => {
        if (timer) return;
        timer = setTimeout(() => {
          timer = undefined;
          void refresh();
        }, debounceMs);
      };
      const api = getApi();
      const offs = [api.on('results.changed', later), api.on('app.reconnected', later)];
      unsubscribe = () => offs.forEach((off) => off());
    }
    return detach;
  }
  return { attach, detach };
}
