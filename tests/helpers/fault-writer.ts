// A studio process that does nothing but save, for tests/faults-store.test.ts: it is killed with
// SIGKILL at random moments, or run twice at once against one store. Run as a child process:
//
//   node --import tsx fault-writer.ts <results|documents> <dir> <prefix> <count> [startAtMs] [shared]
//
// Saves `count` results (or accuracy documents) with ids `<prefix>-<i>` (count 0: until killed),
// printing "saved <id>" on stdout after each save returns, so that the parent knows which saves
// completed. It prints "ready" first and, with `startAtMs`, starts saving at that time (so that two
// writers overlap). With `shared` > 0, every 10th save also saves `shared-<k>` (k cycling below
// `shared`), an id both writers save, to check that concurrent replacements stay whole.
// Results are made large (thousands of samples) so that a kill often lands inside a write.
import { fileURLToPath } from 'node:url';
import { accuracyStore } from '../../main/store/document-store.js';
import { ResultsStore } from '../../main/store/results-store.js';
import { fakeAccuracy } from './fake-accuracy.js';
import { fakeResult } from './fake-results.js';

export type WriterMode = 'results' | 'documents';

/** The module path, for spawning this file with `node --import tsx`. */
export const FAULT_WRITER = fileURLToPath(import.meta.url);

function main(): void {
  const [mode, dir, prefix, countArg, startAtArg, sharedArg] = process.argv.slice(2);
  if ((mode !== 'results' && mode !== 'documents') || !dir || !prefix) {
    process.stderr.write('usage: fault-writer.ts <results|documents> <dir> <prefix> <count> [startAtMs] [shared]\n');
    process.exit(2);
  }
  const count = Number(countArg ?? 0);
  const startAt = Number(startAtArg ?? 0);
  const shared = Number(sharedArg ?? 0);
  const results = mode === 'results' ? new ResultsStore(dir) : undefined;
  const docs = mode === 'documents' ? accuracyStore(dir) : undefined;
  const save = (id: string, i: number) => {
    if (results) results.save(fakeResult({ id, n: 3000, seed: i + 1, createdAt: '2025-06-01T10:00:00.000Z' }));
    else docs!.save(fakeAccuracy({ id, seed: i }));
    process.stdout.write(`saved ${id}\n`);
  };
  process.stdout.write('ready\n');
  const run = () => {
    for (let i = 0; count === 0 || i < count; i++) {
      save(`${prefix}-${i}`, i);
      if (shared > 0 && i % 10 === 0) save(`shared-${(i / 10) % shared}`, i);
    }
    process.stdout.write('done\n');
  };
  const wait = startAt - Date.now();
  if (wait > 0) setTimeout(run, wait);
  else run();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
