// Results over time: every series (one configuration on one machine) from results.history, judged in
// main by shared/stats/regression.ts, filtered here as the user types (the same rule main applies:
// shared/contract/history.ts seriesMatches); the series and the point selected; the flagged points
// of every series from results.regressions (newest first, since a date). Re-read on results.changed.
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import {
  seriesMatches,
  sinceTime,
  type HistoryFilter,
  type HistorySeriesView,
  type RegressionRulesView,
  type RegressionView,
  type SeriesPointView,
} from '../../../shared/contract/history.js';
import { PRECISIONS } from '../../../shared/contract/job.js';
import { errorMessage, getApi } from '../api/index.js';
import { followResultsChanges } from '../api/results-changed.js';
import { useResultsStore } from './results.js';
import { useSettingsStore } from './settings.js';

/** The filter form: text as typed ('' for any). */
export interface HistoryFilterForm {
  target: string;
  backend: string;
  batch: string;
  threads: string;
  precision: string;
  /** A machine key (from the list of machines, or the Fleet view's link) or part of a machine's description. */
  machine: string;
  /** A date ("2025-06-01"): only the points created since then (the whole history is judged first). */
  since: string;
}

export const EMPTY_FILTER: HistoryFilterForm = {
  target: '',
  backend: '',
  batch: '',
  threads: '',
  precision: '',
  machine: '',
  since: '',
};

/** What main's defaults are (REGRESSION_DEFAULTS) until the first answer says. */
const DEFAULT_RULES: RegressionRulesView = {
  minBaseline: 2,
  baselineSize: 10,
  alpha: 0.01,
  thresholdFloor: 0.02,
  confirmAfter: 2,
};

const int = (s: string): number | undefined => {
  const n = Number(s);
  return s.trim() !== '' && Number.isInteger(n) ? n : undefined;
};

/** The form as a filter (empty fields left out). */
export function toFilter(f: HistoryFilterForm): HistoryFilter {
  const precision = (PRECISIONS as readonly string[]).includes(f.precision)
    ? (f.precision as HistoryFilter['precision'])
    : undefined;
  const out: HistoryFilter = {};
  if (f.target.trim()) out.target = f.target.trim();
  if (f.backend) out.backend = f.backend;
  if (int(f.batch) !== undefined) out.batch = int(f.batch);
  if (int(f.threads) !== undefined) out.threads = int(f.threads);
  if (precision) out.precision = precision;
  if (f.machine.trim()) out.machine = f.machine.trim();
  if (f.since.trim() && !Number.isNaN(sinceTime(f.since))) out.since = f.since.trim();
  return out;
}

/** The series that pass the filter, with only their points since its date (series left with none dropped). */
export function filterSeries(series: readonly HistorySeriesView[], f: HistoryFilterForm): HistorySeriesView[] {
  const filter = toFilter(f);
  const from = filter.since ? sinceTime(filter.since) : -Infinity;
  return series.flatMap((s) => {
    if (!seriesMatches(s, filter)) return [];
    if (from === -Infinity) return [s];
    const points = s.points.filter((p) => Date.parse(p.createdAt) >= from);
    return points.length ? [{ ...s, points }] : [];
  });
}

/** A point's comparison with its baseline, as the History view shows it. */
export interface PointComparisonView {
  series: HistorySeriesView;
  point: SeriesPointView;
  /** The baseline result compared with (the newest of the baseline), and its point when in the series. */
  baselineId: string;
  baselinePoint?: SeriesPointView;
}

export const useHistoryStore = defineStore('history', () => {
  const series = shallowRef<HistorySeriesView[]>([]);
  const problems = shallowRef<{ file: string; reason: string }[]>([]);
  const rules = ref<RegressionRulesView>({ ...DEFAULT_RULES });
  const filter = reactive<HistoryFilterForm>({ ...EMPTY_FILTER });
  const selectedKey = ref<string | null>(null);
  const selectedPointId = ref<string | null>(null);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const regressions = shallowRef<RegressionView[]>([]);
  const regressionsSince = ref('');
  const loadingRegressions = ref(false);
  const regressionsError = ref<string | null>(null);
  let seq = 0;
  let regSeq = 0;

  const visible = computed(() => filterSeries(series.value, filter));
  const selected = computed(() => visible.value.find((s) => s.key === selectedKey.value) ?? null);
  /** The whole series selected (every point, whatever the date filter): baselines may lie before it. */
  const selectedWhole = computed(() => series.value.find((s) => s.key === selectedKey.value) ?? null);
  const selectedPoint = computed(
    () => selectedWhole.value?.points.find((p) => p.resultId === selectedPointId.value) ?? null,
  );
  const comparison = computed<PointComparisonView | null>(() => {
    const s = selectedWhole.value;
    const p = selectedPoint.value;
    if (!s || !p?.check) return null;
    const baselineId = p.check.baselineId;
    return { series: s, point: p, baselineId, baselinePoint: s.points.find((x) => x.resultId === baselineId) };
  });

  /** What the filter's lists offer: every value some series has. */
  const options = computed(() => {
    const all = series.value;
    const uniq = <T>(xs: T[]) => [...new Set(xs)];
    const byNumber = (a: number, b: number) => a - b;
    const machines = new Map<string, string>();
    for (const s of all) machines.set(s.machineKey, s.description.machine);
    // Two machines with the same CPU and GPUs but other hardware (memory, cores): told apart by a number.
    const seen = new Map<string, number>();
    const machineList = [...machines].map(([key, text]) => {
      const n = (seen.get(text) ?? 0) + 1;
      seen.set(text, n);
      return { key, text: n > 1 ? `${text} (#${n})` : text };
    });
    return {
      backends: uniq(all.map((s) => s.description.backend)).sort(),
      batches: uniq(all.map((s) => s.description.batch)).sort(byNumber),
      threads: uniq(all.map((s) => s.description.threads)).sort(byNumber),
      precisions: uniq(all.map((s) => s.description.precision)).sort(),
      machines: machineList.sort((a, b) => a.text.localeCompare(b.text)),
    };
  });

  const flaggedCount = computed(() => series.value.reduce((n, s) => n + s.points.filter((p) => p.flagged).length, 0));

  async function refresh(): Promise<void> {
    const mine = ++seq;
    loading.value = true;
    try {
      const res = await getApi().call('results.history', {});
      if (mine !== seq) return;
      series.value = res.series;
      problems.value = res.problems;
      rules.value = res.rules;
      error.value = null;
      if (selectedKey.value && !res.series.some((s) => s.key === selectedKey.value)) selectedKey.value = null;
      if (!selectedKey.value && visible.value.length) selectedKey.value = visible.value[0].key;
    } catch (e) {
      if (mine === seq) error.value = `The history could not be read: ${errorMessage(e)}`;
    } finally {
      if (mine === seq) {
        loading.value = false;
        loaded.value = true;
      }
    }
  }

  async function refreshRegressions(): Promise<void> {
    const mine = ++regSeq;
    const since = regressionsSince.value.trim();
    if (since && Number.isNaN(sinceTime(since))) {
      regressionsError.value = `'${since}' is not a date: use 2025-06-01`;
      return;
    }
    loadingRegressions.value = true;
    try {
      const res = await getApi().call('results.regressions', since ? { since } : {});
      if (mine !== regSeq) return;
      regressions.value = res.regressions;
      regressionsError.value = null;
    } catch (e) {
      if (mine === regSeq) regressionsError.value = `Regressions could not be listed: ${errorMessage(e)}`;
    } finally {
      if (mine === regSeq) loadingRegressions.value = false;
    }
  }

  const refreshAll = () => Promise.all([refresh(), refreshRegressions()]).then(() => undefined);

  function setFilter(patch: Partial<HistoryFilterForm>): void {
    Object.assign(filter, patch);
    // The selection follows the filter: the first series shown when the selected one is filtered out.
    if (!visible.value.some((s) => s.key === selectedKey.value)) {
      selectedKey.value = visible.value[0]?.key ?? null;
      selectedPointId.value = null;
    }
  }

  function clearFilter(): void {
    setFilter({ ...EMPTY_FILTER });
  }

  function select(key: string): void {
    if (selectedKey.value !== key) selectedPointId.value = null;
    selectedKey.value = key;
  }

  function selectPoint(resultId: string | null): void {
    selectedPointId.value = resultId;
  }

  /** A flagged point from the Regressions list: its series shown (the filter cleared if it hid it) and the point compared. */
  function openRegression(r: Pick<RegressionView, 'seriesKey' | 'resultId'>): void {
    if (!visible.value.some((s) => s.key === r.seriesKey)) Object.assign(filter, EMPTY_FILTER);
    selectedKey.value = r.seriesKey;
    selectedPointId.value = r.resultId;
  }

  /** Each machine's own history (the Fleet view's link): the filter set to that machine only. */
  async function showMachine(machineKey: string): Promise<void> {
    Object.assign(filter, { ...EMPTY_FILTER, machine: machineKey });
    selectedKey.value = visible.value[0]?.key ?? null;
    selectedPointId.value = null;
    await useSettingsStore().setView('history');
  }

  /** The results in the Results view: the table filtered to the series' target, these results selected. */
  async function showInResults(ids: readonly string[], target: string): Promise<void> {
    const results = useResultsStore();
    await results.setFilter({ target, backend: '', status: '', date: '' });
    results.setSelected(ids);
    await useSettingsStore().setView('results');
  }

  /** Re-reads on results.changed and after a reconnect (coalesced: a run saves one result per job). */
  const { attach, detach } = followResultsChanges(() => refreshAll(), 500);

  return {
    series,
    problems,
    rules,
    filter,
    selectedKey,
    selectedPointId,
    loading,
    loaded,
    error,
    regressions,
    regressionsSince,
    loadingRegressions,
    regressionsError,
    visible,
    selected,
    selectedPoint,
    comparison,
    options,
    flaggedCount,
    refresh,
    refreshRegressions,
    refreshAll,
    setFilter,
    clearFilter,
    select,
    selectPoint,
    openRegression,
    showMachine,
    showInResults,
    attach,
    detach,
  };
});
