// The results a command reads or writes: the local folder (--results, the default) or a team's
// PostgreSQL database (--db URL, or BOTTLENECK_DB). A command opens them once and closes them when it
// ends (a database pool left open would keep the process alive).
import type { Command } from 'commander';
import { ResultsService } from '../services/results.js';
import { openResultsRepository } from '../services/open-results.js';
import { defaultResultsDir } from '../store/paths.js';

export interface ResultsSourceOptions {
  results?: string;
  db?: string;
}

export const DB_OPTION_HELP =
  'read and write results in this PostgreSQL database (postgres://user@host/db; TLS options as URL parameters) instead of the results folder; default: BOTTLENECK_DB';

/** Adds --results and --db to a command that reads or writes results. */
export function withResultsSource(cmd: Command): Command {
  return cmd.option('--results <dir>', 'results folder', defaultResultsDir()).option('--db <url>', DB_OPTION_HELP);
}

export async function openResults(o: ResultsSourceOptions): Promise<ResultsService> {
  const dir = o.results ?? defaultResultsDir();
  const repository = await openResultsRepository({ db: o.db, dir });
  return new ResultsService(dir, repository);
}

/** Runs `fn` with the results open, and closes them whatever happens. */
export async function withResults<T>(
  o: ResultsSourceOptions,
  fn: (service: ResultsService) => Promise<T> | T,
): Promise<T> {
  const service = await openResults(o);
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}
