// Per-node numerical error of an fp16 or int8 variant against fp32 (precision.layerError: main runs
// fp32 and the variant with every intermediate tensor as an output, in a task worker, and compares
// them tensor by tensor). Kept per target and precision for the session, so switching overlays or
// models and coming back shows the measured report again without running it twice.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ApiTarget } from '../../../shared/contract/api.js';
import type { LayerErrorReport } from '../../../shared/contract/layer-error.js';
import { errorMessage, getApi } from '../api/index.js';

export type ErrorPrecision = 'fp16' | 'int8';

const keyOf = (target: ApiTarget, precision: ErrorPrecision): string => JSON.stringify([target, precision]);

export const useLayerErrorStore = defineStore('layer-error', () => {
  const reports = shallowRef<ReadonlyMap<string, LayerErrorReport>>(new Map());
  /** The key being measured (one at a time: main runs one task at a time). */
  const running = ref<string | null>(null);
  const error = ref<string | null>(null);
  const errorKey = ref<string | null>(null);

  function reportOf(target: ApiTarget | null, precision: ErrorPrecision): LayerErrorReport | undefined {
    return target ? reports.value.get(keyOf(target, precision)) : undefined;
  }
  const isRunning = (target: ApiTarget | null, precision: ErrorPrecision): boolean =>
    !!target && running.value === keyOf(target, precision);
  const errorOf = (target: ApiTarget | null, precision: ErrorPrecision): string | null =>
    target && errorKey.value === keyOf(target, precision) ? error.value : null;

  async function measure(target: ApiTarget, precision: ErrorPrecision): Promise<void> {
    if (running.value) return;
    const key = keyOf(target, precision);
    running.value = key;
    error.value = null;
    errorKey.value = null;
    try {
      const report = await getApi().call('precision.layerError', { target, precision });
      const next = new Map(reports.value);
      next.set(key, Object.freeze(report));
      reports.value = next;
    } catch (e) {
      error.value = errorMessage(e);
      errorKey.value = key;
    } finally {
      running.value = null;
    }
  }

  return { reports, running, reportOf, isRunning, errorOf, measure };
});
