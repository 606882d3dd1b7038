// The results history: summaries from results.list (status and backend filtered by main, target and
// date text here, as the user types), the selection, full results loaded on demand and cached,
// delete, export (a download in the web mode, the save dialog in Electron) and import.
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef, triggerRef } from 'vue';
import type { ApiReportFormat, ImportOutcomeView, ResultSummaryView } from '../../../shared/contract/api.js';
import type { BenchResult } from '../../../shared/contract/result.js';
import { errorMessage, getApi } from '../api/index.js';
import { followResultsChanges } from '../api/results-changed.js';
import { compactTime } from '../components/results/fmt.js';

export type StatusFilter = '' | 'ok' | 'failed' | 'cancelled';

export interface ResultsFilter {
  /** Substring of the target, label or id (case-insensitive). */
  target: string;
  /** Exact backend name, '' for all (asked of main). */
  backend: string;
  /** '' for all (asked of main). */
  status: StatusFilter;
  /** Substring of the creation time as shown ("2025-06-01 10:00"), or of the machine. */
  date: string;
}

/** What an import reported, per file. */
export interface ImportReport extends ImportOutcomeView {
  error?: string;
}

/**
 * The largest report the import reads (main refuses larger ones too: MAX_REPORT_FILE_BYTES in
 * main/store/result-check.ts); a bigger or empty file is refused by its size, before it is read.
 */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;

/** Why a picked or dropped file is not even read, or undefined. */
export function importRefusal(f: Pick<File, 'size'>): string | undefined {
  if (f.size === 0) return 'is empty (0 bytes), not a report: nothing was imported';
  if (f.size > MAX_IMPORT_BYTES)
    return `is ${(f.size / 1024 ** 2).toFixed(1)} MB, over the ${MAX_IMPORT_BYTES / 1024 ** 2} MB limit for a report; not read, nothing was imported`;
  return undefined;
}

/** results.get takes at most this many ids per call. */
const GET_CHUNK = 500;

/** "2025-06-01T10:00:00.000Z" -> "2025-06-01 10:00" (what the date filter matches). */
export const shownTime = (iso: string): string => iso.replace('T', ' ').slice(0, 16);

export function matchesFilter(s: ResultSummaryView, f: ResultsFilter): boolean {
  if (f.backend && s.backend !== f.backend) return false;
  if (f.status && s.status !== f.status) return false;
  const t = f.target.trim().toLowerCase();
  if (t && ![s.target, s.label, s.id].some((x) => x.toLowerCase().includes(t))) return false;
  const d = f.date.trim().toLowerCase();
  if (
    d &&
    !shownTime(s.createdAt).toLowerCase().includes(d) &&
    !compactTime(s.createdAt).toLowerCase().includes(d) &&
    !s.machine.toLowerCase().includes(d)
  )
    return false;
  return true;
}

/** Saves text as a file through an <a download> (the web mode's export). */
export function downloadText(filename: string, content: string, mime: string): void {
  const blob = new Blob([content], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export const useResultsStore = defineStore('results', () => {
  const summaries = shallowRef<ResultSummaryView[]>([]);
  const problems = shallowRef<{ file: string; reason: string }[]>([]);
  const filter = reactive<ResultsFilter>({ target: '', backend: '', status: '', date: '' });
  const selected = ref<Set<string>>(new Set());
  /** Full results by id (never made deeply reactive: they are big and read-only). */
  const cache = shallowRef(new Map<string, BenchResult>());
  const loading = ref(false);
  const loadingResults = ref(false);
  const busy = ref(false);
  const error = ref<string | null>(null);
  const message = ref<string | null>(null);
  const imports = ref<ImportReport[]>([]);
  const mode = ref<'electron' | 'web' | null>(null);
  /** Set by the menu's Import report: the Results view opens its import file picker. */
  const importRequested = ref(false);
  /**
   * Quick runs (shared/stats/flags.ts isQuick) join the charts and comparisons only when asked:
   * they differ from thorough runs of the same configuration more than their intervals say.
   */
  const includeQuick = ref(false);
  let listSeq = 0;

  /** The summaries that pass the filter, newest first. */
  const visible = computed(() =>
    summaries.value.filter((s) => matchesFilter(s, filter)).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)),
  );
  /** Selected ids in the order they were selected (kept when a status/backend filter hides them). */
  const selectedIds = computed(() => [...selected.value]);
  /** The selected results that are loaded (all of them once `loadSelected` has finished). */
  const selectedResults = computed(() =>
    selectedIds.value.map((id) => cache.value.get(id)).filter((r): r is BenchResult => !!r),
  );
  /** The full result of a summary row when it is loaded (the table's flag tooltips read it). */
  const detailsOf = (id: string): BenchResult | undefined => cache.value.get(id);
  const allVisibleSelected = computed(
    () => visible.value.length > 0 && visible.value.every((s) => selected.value.has(s.id)),
  );
  const backends = computed(() => [...new Set(summaries.value.map((s) => s.backend))].sort());

  async function refresh(): Promise<void> {
    const seq = ++listSeq;
    loading.value = true;
    try {
      const res = await getApi().call('results.list', {
        filter: {
          ...(filter.status ? { status: filter.status } : {}),
          ...(filter.backend ? { backend: filter.backend } : {}),
        },
      });
      if (seq !== listSeq) return;
      summaries.value = res.results;
      problems.value = res.problems;
      // Results that no longer exist (deleted elsewhere) leave the selection and the cache.
      const ids = new Set(res.results.map((r) => r.id));
      if (!filter.status && !filter.backend) {
        const kept = [...selected.value].filter((id) => ids.has(id));
        if (kept.length !== selected.value.size) selected.value = new Set(kept);
      }
      error.value = null;
    } catch (e) {
      if (seq === listSeq) error.value = `Results could not be listed: ${errorMessage(e)}`;
    } finally {
      if (seq === listSeq) loading.value = false;
    }
  }

  /** Sets a filter field; status and backend are asked of main again. */
  async function setFilter(patch: Partial<ResultsFilter>): Promise<void> {
    const server =
      (patch.status !== undefined && patch.status !== filter.status) ||
      (patch.backend !== undefined && patch.backend !== filter.backend);
    Object.assign(filter, patch);
    if (server) await refresh();
  }

  /** Loads full results not cached yet (results.get, in chunks). */
  async function load(ids: readonly string[]): Promise<BenchResult[]> {
    const missing = [...new Set(ids)].filter((id) => !cache.value.has(id));
    if (missing.length) {
      loadingResults.value = true;
      try {
        for (let i = 0; i < missing.length; i += GET_CHUNK) {
          const got = await getApi().call('results.get', { ids: missing.slice(i, i + GET_CHUNK) });
          for (const r of got) cache.value.set(r.id, Object.freeze(r));
        }
        triggerRef(cache);
      } catch (e) {
        error.value = `Results could not be loaded: ${errorMessage(e)}`;
      } finally {
        loadingResults.value = false;
      }
    }
    return ids.map((id) => cache.value.get(id)).filter((r): r is BenchResult => !!r);
  }

  const loadSelected = () => load(selectedIds.value);

  function setSelected(ids: Iterable<string>): void {
    selected.value = new Set(ids);
    void loadSelected();
  }
  function toggle(id: string, on = !selected.value.has(id)): void {
    const next = new Set(selected.value);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  }
  /** Selects every visible row, or (when all are selected already) deselects them. */
  function toggleAllVisible(): void {
    const next = new Set(selected.value);
    const all = allVisibleSelected.value;
    for (const s of visible.value) {
      if (all) next.delete(s.id);
      else next.add(s.id);
    }
    setSelected(next);
  }
  function clearSelection(): void {
    selected.value = new Set();
  }

  async function remove(ids: readonly string[] = selectedIds.value): Promise<void> {
    if (ids.length === 0) return;
    busy.value = true;
    try {
      const { deleted } = await getApi().call('results.delete', { ids: [...ids] });
      const gone = new Set(deleted);
      summaries.value = summaries.value.filter((s) => !gone.has(s.id));
      for (const id of gone) cache.value.delete(id);
      triggerRef(cache);
      selected.value = new Set([...selected.value].filter((id) => !gone.has(id)));
      message.value = `Deleted ${deleted.length} result${deleted.length === 1 ? '' : 's'}.`;
      error.value = null;
    } catch (e) {
      error.value = `Delete failed: ${errorMessage(e)}`;
    } finally {
      busy.value = false;
    }
  }

  async function appMode(): Promise<'electron' | 'web'> {
    if (!mode.value) {
      try {
        mode.value = (await getApi().call('app.info', {})).mode;
      } catch {
        mode.value = typeof window !== 'undefined' && window.bottleneckStudio ? 'electron' : 'web';
      }
    }
    return mode.value;
  }

  /** Exports results as a report: the save dialog in Electron, a download in the web mode. */
  async function exportResults(format: ApiReportFormat, ids: readonly string[] = selectedIds.value): Promise<void> {
    if (ids.length === 0) {
      error.value = 'Select the results to export first.';
      return;
    }
    busy.value = true;
    try {
      if ((await appMode()) === 'electron') {
        const { savedTo } = await getApi().call('results.exportDialog', { ids: [...ids], format });
        message.value = savedTo ? `Saved ${savedTo}` : null;
      } else {
        const file = await getApi().call('results.export', { ids: [...ids], format });
        downloadText(file.filename, file.content, file.mime);
        message.value = `Downloaded ${file.filename}`;
      }
      error.value = null;
    } catch (e) {
      error.value = `Export failed: ${errorMessage(e)}`;
    } finally {
      busy.value = false;
    }
  }

  /** Imports report or result files (picked or dropped): each read as text and sent to main. */
  async function importFiles(files: Iterable<File>): Promise<ImportReport[]> {
    const reports: ImportReport[] = [];
    busy.value = true;
    try {
      for (const f of files) {
        const refused = importRefusal(f);
        if (refused) {
          reports.push({ source: f.name, added: [], skipped: [], error: refused });
          continue;
        }
        try {
          const text = await f.text();
          reports.push(await getApi().call('results.import', { name: f.name || 'import.json', text }));
        } catch (e) {
          reports.push({ source: f.name, added: [], skipped: [], error: errorMessage(e) });
        }
      }
    } finally {
      busy.value = false;
    }
    imports.value = reports;
    if (reports.some((r) => r.added.length)) await refresh();
    return reports;
  }

  function requestImport(): void {
    importRequested.value = true;
  }

  /** Re-reads on results.changed and after a reconnect (coalesced: a run saves one result per job). */
  const { attach, detach } = followResultsChanges(() => refresh(), 300);

  return {
    summaries,
    problems,
    filter,
    selected,
    cache,
    loading,
    loadingResults,
    busy,
    error,
    message,
    imports,
    mode,
    importRequested,
    includeQuick,
    detailsOf,
    visible,
    selectedIds,
    selectedResults,
    allVisibleSelected,
    backends,
    refresh,
    setFilter,
    load,
    loadSelected,
    setSelected,
    toggle,
    toggleAllVisible,
    clearSelection,
    remove,
    appMode,
    exportResults,
    importFiles,
    requestImport,
    attach,
    detach,
  };
});
