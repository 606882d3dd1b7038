// results.diff (shared/contract/run-diff.ts): the node diff of two saved results, as
// main/services/run-diff.ts answers `results diff A B`. Its refusals (a run not profiled or not
// ok, runs of different models) reach the renderer as 'refused', with the reason in words.
import type { ApiParsedRequest } from '../../shared/contract/api.js';
import type { RunDiff } from '../../shared/contract/run-diff.js';
import { StudioError } from '../../shared/ir/types.js';
import type { ResultsService } from '../services/results.js';
import { diffSavedResults } from '../services/run-diff.js';
import { ApiError } from './errors.js';

export async function diffResponse(results: ResultsService, req: ApiParsedRequest<'results.diff'>): Promise<RunDiff> {
  try {
    return await diffSavedResults(results, req.a, req.b);
  } catch (e) {
    if (e instanceof StudioError && e.code === 'refused') throw new ApiError('refused', e.message);
    throw e;
  }
}
