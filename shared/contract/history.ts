// Results over time and the fleet, as the API carries them (issue 20): `results.history` (the series
// of one configuration on one machine, each point judged against its baseline), `results.regressions`
// (the flagged points, newest first) and `fleet.list` (the team's agents and queues). The series and
// regressions are computed in main by shared/stats/regression.ts; the shapes below are the JSON the
// renderer receives (the contract is a leaf: it cannot import that module, so main's handler assigns
// regression.ts's objects to these types, and the compiler says when the two drift apart).
import { z } from 'zod';
import { PRECISIONS } from './job.js';

// ---------------------------------------------------------------------------------------------
// Requests

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A date or time as the History view and the CLI take it: "2025-06-01" (that day's start, UTC) or
 * ISO 8601; NaN for anything else. (shared/stats/regression.ts parseSince reads it the same way.)
 */
export function sinceTime(text: string): number {
  const t = text.trim();
  if (!DATE_ONLY.test(t) && !/^\d{4}-\d{2}-\d{2}T/.test(t)) return NaN;
  return Date.parse(DATE_ONLY.test(t) ? `${t}T00:00:00.000Z` : t);
}

export const SinceSchema = z
  .string()
  .max(40)
  .refine((s) => !Number.isNaN(sinceTime(s)), 'not a date or time: use 2025-06-01 or ISO 8601 (2025-06-01T10:00:00Z)');

/** Which series: every field that is set must match (absent: any). */
export const HistoryFilterSchema = z.object({
  /** Part of the target's name or of the series' label, any case ("resnet", "bottleneck:mid=64"). */
  target: z.string().max(500).optional(),
  /** The backend's name, exactly ("ort-cpu"). */
  backend: z.string().max(100).optional(),
  batch: z.number().int().min(1).max(65_536).optional(),
  /** Intra-op threads (0: the runtime chose). */
  threads: z.number().int().min(0).max(1024).optional(),
  precision: z.enum(PRECISIONS).optional(),
  /** Part of the machine's description (CPU and GPUs), any case, or its machine key exactly. */
  machine: z.string().max(2000).optional(),
  /** Only the points created at or after this date or time (the whole history is judged first). */
  since: SinceSchema.optional(),
});
export type HistoryFilter = z.infer<typeof HistoryFilterSchema>;

export const HistoryRequestSchema = z.object({
  filter: HistoryFilterSchema.default({}),
  /** One series only: its key, from an earlier answer. */
  key: z.string().min(1).max(8000).optional(),
  /** Judge quick runs too, and let them into baselines (default: listed as 'excluded'). */
  includeQuick: z.boolean().default(false),
});

export const RegressionsRequestSchema = z.object({
  /** Only the flags raised by points created at or after this date or time. */
  since: SinceSchema.optional(),
  /** Only the series that pass this filter (its `since` is ignored: use the one above). */
  filter: HistoryFilterSchema.omit({ since: true }).default({}),
  includeQuick: z.boolean().default(false),
});

// ---------------------------------------------------------------------------------------------
// Series (shared/stats/regression.ts Series, SeriesPoint, Regression: see that module for the method)

export interface SeriesDescriptionView {
  /** The CPU and the GPUs: "Ryzen 9 7950X 16-Core Processor + GeForce RTX 4090". */
  machine: string;
  /** What computed: the CPU, the GPU adapter, or the providers. */
  device: string;
  target: string;
  targetKind: 'block' | 'model' | 'file';
  params: Record<string, string | number | boolean>;
  backend: string;
  precision: string;
  batch: number;
  threads: number;
  /** The newest result's job label. */
  label: string;
}

export type PointVerdictView = 'slower' | 'faster' | 'new-level' | 'unchanged' | 'insufficient-history' | 'excluded';
export type ChangeStateView = 'confirmed' | 'pending' | 'transient';

export interface VersionChangeView {
  name: string;
  from: string;
  to: string;
}

/** A point against its baseline (every judged point has one). */
export interface PointCheckView {
  baselineIds: string[];
  /** The newest baseline result: the one compared with the point. */
  baselineId: string;
  baselineMedianMs: number;
  /** The point's median / the baseline's (above 1: slower). */
  ratio: number;
  beyondThreshold: boolean;
  /** Only beyond the threshold (the significance test runs only there). */
  ratioCi?: { low: number; high: number; level: number };
  pValue?: number;
  noise: number;
  /** The relative change that counts here, learned from the series. */
  threshold: number;
  significant?: boolean;
  direction?: 'slower' | 'faster';
}

export interface SeriesPointView {
  resultId: string;
  createdAt: string;
  medianMs: number;
  /** The median's distribution-free 95% interval. */
  ci95: { low: number; high: number };
  n: number;
  versions: Record<string, string>;
  verdict: PointVerdictView;
  /** One sentence on the verdict. */
  note: string;
  check?: PointCheckView;
  flagged?: { direction: 'slower' | 'faster'; state: ChangeStateView; versionChanges: VersionChangeView[] };
  /** A quick run: why. */
  quick?: string;
}

export interface HistorySeriesView {
  key: string;
  /** The machine's key (equal hardware, equal key): what "each machine's own history" filters by. */
  machineKey: string;
  /** The series key without the machine: equal on every machine that ran the same configuration. */
  configKey: string;
  description: SeriesDescriptionView;
  /** Oldest first. */
  points: SeriesPointView[];
  /** Results of the series left out (ok but no samples). */
  skipped: { id: string; reason: string }[];
}

/** A flagged point with what it was compared with (newest first in results.regressions). */
export interface RegressionView {
  seriesKey: string;
  series: SeriesDescriptionView;
  resultId: string;
  createdAt: string;
  direction: 'slower' | 'faster';
  state: ChangeStateView;
  medianMs: number;
  baselineMedianMs: number;
  baselineId: string;
  baselineIds: string[];
  ratio: number;
  ratioCi: { low: number; high: number; level: number };
  pValue: number;
  threshold: number;
  noise: number;
  versionChanges: VersionChangeView[];
  summary: string;
}

/** The detection rules in force (shared/stats/regression.ts REGRESSION_DEFAULTS), for the views to explain. */
export interface RegressionRulesView {
  /** Baseline points needed before a point is judged: a series needs minBaseline + 1 results. */
  minBaseline: number;
  baselineSize: number;
  alpha: number;
  thresholdFloor: number;
  confirmAfter: number;
}

export interface HistoryResponse {
  series: HistorySeriesView[];
  /** Result files that could not be read (left out). */
  problems: { file: string; reason: string }[];
  rules: RegressionRulesView;
}

export interface RegressionsResponse {
  regressions: RegressionView[];
  problems: { file: string; reason: string }[];
  rules: RegressionRulesView;
}

/** Whether a series passes a filter (main's results.history and the History view use the same rule). */
export function seriesMatches(
  s: Pick<HistorySeriesView, 'description' | 'machineKey'>,
  f: Omit<HistoryFilter, 'since'>,
): boolean {
  const d = s.description;
  const has = (text: string, part: string) => text.toLowerCase().includes(part.trim().toLowerCase());
  if (f.target?.trim() && !has(d.target, f.target) && !has(d.label, f.target)) return false;
  if (f.backend && d.backend !== f.backend) return false;
  if (f.batch !== undefined && d.batch !== f.batch) return false;
  if (f.threads !== undefined && d.threads !== f.threads) return false;
  if (f.precision && d.precision !== f.precision) return false;
  if (f.machine?.trim() && s.machineKey !== f.machine && !has(d.machine, f.machine)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The fleet (main/fleet/: agents on pg-boss in the results database)

export const FLEET_AGENT_STATES = ['idle', 'busy', 'stopping', 'stale', 'stopped'] as const;
export type FleetAgentState = (typeof FLEET_AGENT_STATES)[number];

export interface FleetAgentView {
  name: string;
  tags: string[];
  /** The host the agent runs on. */
  host: string;
  /** The machine's CPU (its profile's brand), when the agent registered one. */
  machine?: string;
  startedAt?: string;
  /** Seconds since its last heartbeat, when the list was read (checkedAt). */
  lastSeenS: number;
  /** 'stale': silent past the limit (dead, or cut off from the database). */
  state: FleetAgentState;
  /** The job it runs now. */
  job?: { id: string; label?: string; queue?: string; runId?: string };
}

export interface FleetQueueView {
  /** "agent.NAME" or "tag.TAG". */
  name: string;
  queued: number;
  active: number;
}

/** What the fleet's implementation answers (StudioApiDeps.fleet.list). */
export interface FleetListView {
  agents: FleetAgentView[];
  queues: FleetQueueView[];
  /** Why there is no fleet to show (no database set, the database cannot be reached). */
  problem?: string;
}

export interface FleetListResponse extends FleetListView {
  /** When main read the list (lastSeenS counts from here). */
  checkedAt: string;
}
