// results.history, results.regressions and fleet.list (shared/contract/history.ts) over the results
// the ResultsService reads (the folder or the database): the series and their verdicts come from
// shared/stats/regression.ts, judged over the whole history of each series before `since` trims
// what is shown (a point's baseline is drawn from the points before it). The fleet itself lives in
// the database (main/fleet/); this module only shapes what its implementation answers.
import type {
  FleetListResponse,
  FleetListView,
  HistoryFilter,
  HistoryResponse,
  HistorySeriesView,
  RegressionRulesView,
  RegressionsResponse,
} from '../../shared/contract/history.js';
import { seriesMatches } from '../../shared/contract/history.js';
import type { BenchResult } from '../../shared/contract/result.js';
import {
  describeSeries,
  historyOf,
  pointsSince,
  REGRESSION_DEFAULTS,
  regressionsOf,
  type Series,
} from '../../shared/stats/regression.js';
import { machineKeyOf, seriesKeyOf } from '../../shared/stats/series-key.js';

/** What the views explain: how many results a series needs before its newest is judged, and the tests' levels. */
export const REGRESSION_RULES: RegressionRulesView = {
  minBaseline: REGRESSION_DEFAULTS.minBaseline,
  baselineSize: REGRESSION_DEFAULTS.baselineSize,
  alpha: REGRESSION_DEFAULTS.alpha,
  thresholdFloor: REGRESSION_DEFAULTS.thresholdFloor,
  confirmAfter: REGRESSION_DEFAULTS.confirmAfter,
};

export interface LoadedResults {
  results: BenchResult[];
  problems: { file: string; reason: string }[];
}

/** The machine part and the configuration part of a series key (series-key.ts: a JSON array, the machine first). */
export function splitSeriesKey(key: string): { machineKey: string; configKey: string } {
  try {
    const parts: unknown = JSON.parse(key);
    if (Array.isArray(parts) && parts.length > 1)
      return { machineKey: JSON.stringify(parts[0]), configKey: JSON.stringify(parts.slice(1)) };
  } catch {
    // Not the JSON array series-key.ts writes: the whole key stands for both.
  }
  return { machineKey: key, configKey: key };
}

/** A result passes when its series would (every result of a series shares what the filter looks at). */
function resultFilter(f: Omit<HistoryFilter, 'since'>, key?: string): ((r: BenchResult) => boolean) | undefined {
  const active = Object.values(f).some((v) => v !== undefined && v !== '');
  if (!active && key === undefined) return undefined;
  return (r) =>
    (key === undefined || seriesKeyOf(r) === key) &&
    (!active || seriesMatches({ description: describeSeries(r), machineKey: machineKeyOf(r.machine) }, f));
}

const viewOf = (s: Series): HistorySeriesView => ({ ...s, ...splitSeriesKey(s.key) });

export function historyResponse(
  loaded: LoadedResults,
  req: { filter: HistoryFilter; key?: string; includeQuick: boolean },
): HistoryResponse {
  const { since, ...filter } = req.filter;
  const judged = historyOf(loaded.results, { filter: resultFilter(filter, req.key), includeQuick: req.includeQuick });
  return {
    series: pointsSince(judged, since).map(viewOf),
    problems: loaded.problems,
    rules: REGRESSION_RULES,
  };
}

export function regressionsResponse(
  loaded: LoadedResults,
  req: { since?: string; filter: Omit<HistoryFilter, 'since'>; includeQuick: boolean },
): RegressionsResponse {
  const judged = historyOf(loaded.results, { filter: resultFilter(req.filter), includeQuick: req.includeQuick });
  return {
    regressions: regressionsOf(judged, { since: req.since }),
    problems: loaded.problems,
    rules: REGRESSION_RULES,
  };
}

/** The fleet's implementation (main/fleet/ on the results database), wired by the app when a database is set. */
export interface FleetSource {
  list(): Promise<FleetListView>;
}

/** Why there is no fleet when no implementation is wired: it needs the team's database. */
export const NO_FLEET_PROBLEM =
  'the fleet needs a results database: set a PostgreSQL URL under Results database (History, Fleet or Results view), or start the studio with BOTTLENECK_DB=postgres://…; then start an agent on each machine to benchmark';

export async function fleetResponse(fleet: FleetSource | undefined): Promise<FleetListResponse> {
  const checkedAt = new Date().toISOString();
  if (!fleet) return { agents: [], queues: [], problem: NO_FLEET_PROBLEM, checkedAt };
  try {
    const view = await fleet.list();
    return { ...view, checkedAt };
  } catch (e) {
    return {
      agents: [],
      queues: [],
      problem: `the fleet could not be read: ${e instanceof Error ? e.message : String(e)}`,
      checkedAt,
    };
  }
}
