// The node diff of two saved results, the same answer for `results diff A B` and `results.diff`:
// each named by its id or a unique prefix of it, read from the folder or the database, then diffed
// with the model's studio graph (main/reports/node-diff.ts, shared/stats/run-diff.ts).
import type { BenchResult } from '../../shared/contract/result.js';
import type { RunDiff } from '../../shared/contract/run-diff.js';
import { StudioError } from '../../shared/ir/types.js';
import { diffWithGraph } from '../reports/node-diff.js';
import type { ResultsService } from './results.js';

/** How many candidates an ambiguous prefix names in its error. */
const AMBIGUOUS_SHOWN = 5;

/**
 * The result with this id; else the one result whose id starts with it (a prefix as the list
 * prints ids); an unknown id or a prefix several ids share is a StudioError that says so.
 */
export async function resultByIdOrPrefix(service: ResultsService, idOrPrefix: string): Promise<BenchResult> {
  try {
    return (await service.get([idOrPrefix]))[0];
  } catch (e) {
    if (!(e instanceof StudioError) || e.code !== 'not-found') throw e;
  }
  const ids = (await service.list()).results.map((s) => s.id).filter((id) => id.startsWith(idOrPrefix));
  if (ids.length === 1) return (await service.get(ids))[0];
  if (ids.length === 0)
    throw new StudioError(
      `no result with the id or id prefix '${idOrPrefix}' in ${service.location} (\`results list\` prints the ids)`,
      'not-found',
    );
  throw new StudioError(
    `'${idOrPrefix}' is the start of ${ids.length} result ids (${ids.slice(0, AMBIGUOUS_SHOWN).join(', ')}${ids.length > AMBIGUOUS_SHOWN ? ', ...' : ''}): give more of the id`,
    'bad-parameter',
  );
}

/** The node diff of B against A, both saved results named by id or unique prefix. */
export async function diffSavedResults(service: ResultsService, a: string, b: string): Promise<RunDiff> {
  const ra = await resultByIdOrPrefix(service, a);
  const rb = await resultByIdOrPrefix(service, b);
  return diffWithGraph(ra, rb);
}
