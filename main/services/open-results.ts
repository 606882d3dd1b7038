// (In main/services, not main/store: it opens main/store/postgres, which builds on main/store.)
// Which results repository a command or the app uses: a database when a URL is given (the option,
// else BOTTLENECK_DB), else the local results folder. The PostgreSQL client is loaded only then, so
// that a user of the folder (the default) never pays for it.
import { StudioError } from '../../shared/ir/types.js';
import type { PostgresResultsRepository } from '../store/postgres/results-repository.js';
import { FolderResultsRepository, type ResultsRepository } from '../store/results-repository.js';

export interface ResultsSource {
  /** A postgres:// URL; absent: BOTTLENECK_DB; absent too: the folder. */
  db?: string;
  /** The local results folder (always there: accuracy and lab documents, the kept roofline). */
  dir: string;
  env?: NodeJS.ProcessEnv;
}

/** The database URL a source names, if any ('' counts as none). */
export function databaseUrlOf(source: Pick<ResultsSource, 'db' | 'env'>): string | undefined {
  const url = source.db ?? (source.env ?? process.env).BOTTLENECK_DB;
  return url && url.trim() ? url.trim() : undefined;
}

/** Where the database URL comes from, in words for a message ('--db', 'BOTTLENECK_DB'); undefined: none. */
export function describeDbSource(source: Pick<ResultsSource, 'db' | 'env'>): string | undefined {
  if (source.db !== undefined && source.db.trim()) return '--db';
  return databaseUrlOf({ env: source.env }) ? 'BOTTLENECK_DB' : undefined;
}

/**
 * Opens the database a source names (PostgresResultsRepository.open: connected, schema up to date),
 * or undefined when it names none. A URL taken from BOTTLENECK_DB is named in errors: a user who
 * gave no --db must learn where the URL came from.
 */
export async function openDatabase(
  source: Pick<ResultsSource, 'db' | 'env'>,
): Promise<PostgresResultsRepository | undefined> {
  const url = databaseUrlOf(source);
  if (!url) return undefined;
  const { PostgresResultsRepository } = await import('../store/postgres/results-repository.js');
  try {
    return await PostgresResultsRepository.open(url);
  } catch (e) {
    if (e instanceof StudioError && describeDbSource(source) === 'BOTTLENECK_DB')
      throw new StudioError(`${e.message} (the database URL is BOTTLENECK_DB's)`, e.code);
    throw e;
  }
}

export async function openResultsRepository(source: ResultsSource): Promise<ResultsRepository> {
  return (await openDatabase(source)) ?? new FolderResultsRepository(source.dir);
}
