// Saved bottleneck-feature lab results in reports. Which ones: those tied to the report's results,
// i.e. a lab one of whose exported classifiers (base + head, one .onnx each) is a file target of the
// report, or whose base is a target of the report (the same block or zoo model name, or the same
// file name); plus any the caller names explicitly (`results export --lab <id,...|all>`).
import type { LabResult } from '../../shared/contract/lab.js';
import type { BenchResult } from '../../shared/contract/result.js';
import { StudioError } from '../../shared/ir/types.js';

const fileName = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

/** How a report target or a lab base is compared: "file:<name>.onnx" or "net:<block or model name>". */
function targetKeys(results: readonly BenchResult[]): Set<string> {
  const keys = new Set<string>();
  for (const r of results) {
    const t = r.job.target;
    keys.add(t.kind === 'file' ? `file:${fileName(t.path)}` : `net:${t.name}`);
  }
  return keys;
}

function baseKey(lab: LabResult): string {
  const t = lab.base.target;
  if (/\.onnx$/i.test(t)) return `file:${fileName(t)}`;
  // "resnet18:size=64", "resnet50 --variant keras", "lab_mini_resnet:height=28,...": the name before parameters.
  return `net:${t.split(/[:\s]/)[0]}`;
}

/** Lab results tied to the report's results (see the file's comment), oldest first. */
export function matchingLab(results: readonly BenchResult[], labs: readonly LabResult[]): LabResult[] {
  const keys = targetKeys(results);
  return [...labs]
    .filter(
      (l) => keys.has(baseKey(l)) || l.heads.some((h) => h.exported && keys.has(`file:${fileName(h.exported.path)}`)),
    )
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * The lab results a report includes: the matching ones, plus `--lab` (a comma-separated list of
 * ids, or `all`). An id that names no saved lab result is an error (with the ids there are).
 */
export function selectLab(results: readonly BenchResult[], labs: readonly LabResult[], explicit?: string): LabResult[] {
  const chosen = new Map(matchingLab(results, labs).map((l) => [l.id ?? l.createdAt, l]));
  const ids = (explicit ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.includes('all')) for (const l of labs) chosen.set(l.id ?? l.createdAt, l);
  else
    for (const id of ids) {
      const l = labs.find((x) => x.id === id);
      if (!l)
        throw new StudioError(
          `no saved lab result '${id}'${labs.length ? `; the results folder has ${labs.map((x) => x.id).join(', ')}` : ' (the results folder has none)'}`,
          'bad-parameter',
        );
      chosen.set(id, l);
    }
  return [...chosen.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export interface LabHeadRow {
  labId: string;
  base: string;
  cut: string;
  data: string;
  head: string;
  title: string;
  params: number;
  valAccuracy: number;
  testAccuracy: number;
  testCount: number;
  trainMs: number;
  cacheHit: boolean;
  /** Time the cache saved over the whole lab run (ms; shared by its heads). */
  savedMs: number;
  exported?: string;
}

export function labRows(labs: readonly LabResult[]): LabHeadRow[] {
  return labs.flatMap((l) =>
    l.heads.map((h) => ({
      labId: l.id ?? '',
      base: l.base.target,
      cut: l.base.cut.tensor,
      data: `${fileName(l.data.test.source)} (${l.data.trainImages} train, ${h.testCount} test)`,
      head: h.head,
      title: h.title,
      params: h.params,
      valAccuracy: h.valAccuracy,
      testAccuracy: h.testAccuracy,
      testCount: h.testCount,
      trainMs: h.trainMs,
      cacheHit: l.cache.hit,
      savedMs: l.timeSaved.ms,
      ...(h.exported ? { exported: fileName(h.exported.path) } : {}),
    })),
  );
}

/** 850 -> "850 ms", 12_345 -> "12.3 s". */
export const fmtTrain = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
