// `results push` and `results pull`: a results folder into a team's PostgreSQL database and back,
// losslessly (issue 20; docs/DATABASE.md). The documents travel as their exact texts: a folder pushed
// and pulled into another folder gives byte-identical files. Both add only what is not there yet
// (by result id): pushing or pulling twice adds nothing, and a result already there, even a different
// one with the same id, is kept and reported, never replaced.
//
// The database is opened (and so the URL, the password and the schema checked) before the folder is
// read or created: a wrong URL or password leaves the local folder untouched. The PostgreSQL client
// is loaded only when one of these commands runs (the CLI's start stays as fast for everyone else).
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { BenchResult } from '../../../shared/contract/result.js';
import type { PostgresResultsRepository } from '../../store/postgres/results-repository.js';
import { StudioError } from '../../../shared/ir/types.js';
import { defaultResultsDir } from '../../store/paths.js';
import { MAX_RESULT_FILE_BYTES, checkResult, parseJson, readTextFile } from '../../store/result-check.js';
import { ResultsStore, checkId, type ResultFilter, type StoreProblem } from '../../store/results-store.js';
import { openDatabase } from '../../services/open-results.js';
import { action, printJson, printText, warn } from '../io.js';
import { filterFrom, withFilterOptions, type FilterOptions } from '../result-filter.js';

/** Results per round trip to the database (the folder is read, and the database written, this many at a time). */
const CHUNK = 500;

interface SyncOptions extends FilterOptions {
  db?: string;
}

/** What push and pull report (also their --json document). */
export interface SyncOutcome {
  /** The database, without its password. */
  database: string;
  folder: string;
  /** Results copied. */
  added: number;
  /** Results whose id was there already: kept as they were. */
  existing: number;
  /** Of those, the ids whose document there differs from this side's: kept, not replaced. */
  differing: string[];
  /** Documents that could not be read or stored, by file (push) or database row (pull, db:<id>). */
  problems: StoreProblem[];
}

function withSyncOptions(cmd: Command): Command {
  return withFilterOptions(
    cmd.option('--db <url>', 'the PostgreSQL database (postgres://user:password@host:port/db); default: BOTTLENECK_DB'),
  );
}

/** The database of --db or BOTTLENECK_DB, opened (URL, password and schema checked); none: a StudioError. */
async function databaseOf(o: SyncOptions, command: string) {
  const repo = await openDatabase({ db: o.db });
  if (!repo)
    throw new StudioError(
      `results ${command} needs a database: --db postgres://user:password@host:port/database, or BOTTLENECK_DB`,
      'bad-parameter',
    );
  return repo;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A result document's text read back as a result, or why not. */
function readText(text: string) {
  const json = parseJson(text);
  return json.ok ? checkResult(json.value) : json;
}

/** Pushes the folder's results (those passing the filter) into the database, and closes it. */
export async function pushResults(
  repo: PostgresResultsRepository,
  dir: string,
  filter: ResultFilter,
): Promise<SyncOutcome> {
  const folder = resolve(dir);
  try {
    // Loaded with the repository already (see the top of this file).
    const { unstorableReason } = await import('../../store/postgres/results-repository.js');
    // Checked after the database opened, and never created: pushing a folder that is not there is a typo.
    if (!existsSync(folder) || !statSync(folder).isDirectory())
      throw new StudioError(`there is no results folder at ${folder} (give it with --results)`, 'bad-parameter');
    const store = new ResultsStore(folder);
    const { results: summaries, problems: folderProblems } = store.list(filter);
    const outcome: SyncOutcome = {
      database: repo.location,
      folder,
      added: 0,
      existing: 0,
      differing: [],
      problems: [...folderProblems],
    };
    for (let i = 0; i < summaries.length; i += CHUNK) {
      const results: BenchResult[] = [];
      const texts: string[] = [];
      for (const s of summaries.slice(i, i + CHUNK)) {
        // The file's exact text (not the summary, not a re-serialization): what the database keeps.
        const text = readTextFile(join(folder, s.file), MAX_RESULT_FILE_BYTES, 'result file');
        const json = text.ok ? parseJson(text.value) : text;
        const read = json.ok ? checkResult(json.value) : json;
        if (!text.ok || !json.ok || !read.ok) {
          outcome.problems.push({ file: s.file, reason: `${(read as { reason: string }).reason}; not pushed` });
          continue;
        }
        const why = unstorableReason(json.value);
        if (why) {
          outcome.problems.push({ file: s.file, reason: `${why}; not pushed` });
          continue;
        }
        results.push(read.value);
        texts.push(text.value);
      }
      const { added, existing } = await repo.addMany(results, texts);
      outcome.added += added.length;
      outcome.existing += existing.length;
      if (existing.length) {
        const there = await repo.fingerprints(existing);
        const mine = new Map(results.map((r, k) => [r.id, sha256(texts[k])]));
        for (const id of existing) if (there.get(id) !== mine.get(id)) outcome.differing.push(id);
      }
    }
    return outcome;
  } finally {
    await repo.close();
  }
}

/** Pulls the database's results (those passing the filter) into a folder, as their exact texts, and closes it. */
export async function pullResults(
  repo: PostgresResultsRepository,
  dir: string,
  filter: ResultFilter,
): Promise<SyncOutcome> {
  try {
    const store = new ResultsStore(dir);
    const have = new Map<string, string>();
    for (const s of store.list().results) if (!have.has(s.id)) have.set(s.id, s.file);
    const outcome: SyncOutcome = {
      database: repo.location,
      folder: store.dir,
      added: 0,
      existing: 0,
      differing: [],
      problems: [],
    };
    for await (const page of repo.documents(filter)) {
      for (const { id, text } of page) {
        const read = readText(text);
        if (!read.ok) {
          outcome.problems.push({ file: `db:${id}`, reason: `${read.reason}; not pulled` });
          continue;
        }
        const r = read.value;
        // The database checks ids too; a row written by another tool must still never name a path.
        try {
          checkId(r.id);
          if (r.id !== id) throw new StudioError(`the document's id is '${r.id}'`, 'bad-file');
        } catch (e) {
          outcome.problems.push({ file: `db:${id}`, reason: `${(e as Error).message}; not pulled` });
          continue;
        }
        const mine = have.get(id);
        if (mine !== undefined) {
          outcome.existing++;
          const local = readTextFile(join(store.dir, mine), MAX_RESULT_FILE_BYTES, 'result file');
          if (!local.ok || local.value !== text) outcome.differing.push(id);
          continue;
        }
        const name = store.fileName(r);
        if (existsSync(join(store.dir, name))) {
          outcome.problems.push({
            file: name,
            reason: `is in the folder and is not a readable result; result '${id}' was not pulled over it`,
          });
          continue;
        }
        store.saveText(r, text);
        have.set(id, name);
        outcome.added++;
      }
    }
    return outcome;
  } finally {
    await repo.close();
  }
}

function report(o: SyncOptions, outcome: SyncOutcome, verb: 'pushed' | 'pulled'): void {
  if (o.json) return printJson(outcome);
  for (const p of outcome.problems) warn(`${p.file}: ${p.reason}`);
  if (outcome.differing.length)
    warn(
      `${outcome.differing.length} result(s) have the same id as a different document on the other side, kept as they were: ${outcome.differing.slice(0, 10).join(', ')}${outcome.differing.length > 10 ? ', ...' : ''}`,
    );
  const [from, to] = verb === 'pushed' ? [outcome.folder, outcome.database] : [outcome.database, outcome.folder];
  printText(
    `${verb} ${outcome.added} result(s) from ${from} to ${to}; ${outcome.existing} already there${outcome.problems.length ? `; ${outcome.problems.length} problem(s)` : ''}`,
  );
}

/** Adds `results push` and `results pull` to the `results` command. */
export function registerResultsSync(results: Command): void {
  withSyncOptions(
    results
      .command('push')
      .description(
        "copy the results folder's results into a PostgreSQL database (their exact files; those already there are kept)",
      )
      .option('--results <dir>', 'the results folder to push', defaultResultsDir()),
  ).action(
    action(async (o: SyncOptions & { results?: string }) => {
      const filter = filterFrom(o);
      report(o, await pushResults(await databaseOf(o, 'push'), o.results ?? defaultResultsDir(), filter), 'pushed');
    }),
  );

  withSyncOptions(
    results
      .command('pull')
      .description(
        "copy a PostgreSQL database's results into a folder, byte for byte as pushed (results already in the folder are kept)",
      )
      .requiredOption('--out <dir>', 'the folder to write the results into (created when missing)'),
  ).action(
    action(async (o: SyncOptions & { out: string }) => {
      const filter = filterFrom(o);
      report(o, await pullResults(await databaseOf(o, 'pull'), o.out, filter), 'pulled');
    }),
  );
}
