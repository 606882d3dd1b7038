// ResultSummaryView rows for fake results (what results.list answers; main/store summarize()).
import type { ResultSummaryView } from '../../shared/contract/api.js';
import type { BenchResult } from '../../shared/contract/result.js';
import { warningCount } from '../../shared/stats/flags.js';

export function summaryOf(r: BenchResult): ResultSummaryView {
  const t = r.job.target;
  return {
    id: r.id,
    createdAt: r.createdAt,
    label: r.label,
    target: t.kind === 'file' ? t.path : t.kind === 'model' && t.variant ? `${t.name}/${t.variant}` : t.name,
    backend: r.job.backend.backend,
    batch: r.job.batch,
    threads: r.job.backend.intraOpThreads,
    precision: r.job.precision ?? 'fp32',
    status: r.status,
    repetition: r.job.repetition,
    n: r.stats?.n ?? 0,
    p50: r.stats?.p50,
    flags: warningCount(r),
    failure: r.failure?.reason,
    machine: r.machine.cpu.brand,
  };
}
