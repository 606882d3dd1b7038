// One spec through both faces: the CLI's `bench` and the app's bench.start drive the same bench
// service, so they must plan the same jobs, apply the same measuring rules, save the same kind of
// results and add the same flags that only repetitions reveal. Timings differ between two runs;
// everything the service decides must not.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../shared/contract/result.js';
import { configKey } from '../shared/bench/sweep.js';
import { instabilityFlags } from '../shared/stats/latency.js';
import { cli as runCli, cliJson } from './helpers/cli.js';
import { studioApis } from './helpers/studio-api.js';

const { root, makeApi } = studioApis('services-faces');

/** Everything about a job that the service decided (not its id or group, which name the run). */
function plannedJob(r: BenchResult) {
  const { id: _id, group: _group, ...job } = r.job;
  return job;
}

function savedResults(dir: string): BenchResult[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as BenchResult)
    .sort((a, b) => a.job.id.localeCompare(b.job.id));
}

/** The flags repetitions add, recomputed from the saved results: the service must have added them. */
function repetitionFlags(results: BenchResult[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of results) {
    const medians = results
      .filter((o) => configKey(o.job) === configKey(r.job))
      .sort((x, y) => x.job.repetition - y.job.repetition)
      .map((o) => o.stats!.p50);
    out.set(r.id, instabilityFlags(r.stats!, medians));
  }
  return out;
}

describe('the CLI and the app give the same answer for the same spec', () => {
  it('bench: same jobs, rules, statuses and repetition flags', { timeout: 180_000 }, async () => {
    // Three repetitions (so the drift flags apply), a minimum time the user set, two batches.
    const cliDir = join(root, 'cli-results');
    const cli = cliJson([
      'bench',
      'pointwise:channels=8,out=8,height=8,width=8',
      '--backend',
      'ort-cpu',
      '--batch',
      '1,2',
      '--threads',
      '1',
      '--repetitions',
      '3',
      '--min-time',
      '0.05',
      '--max-time',
      '0.3',
      '--warmup-runs',
      '1',
      '--results',
      cliDir,
    ]);

    const api = makeApi();
    const ended = new Promise<void>((resolve) => api.on('bench.run-end', () => resolve()));
    await api.call('bench.start', {
      targets: [{ kind: 'block', name: 'pointwise', params: { channels: '8', out: '8', height: '8', width: '8' } }],
      backends: ['ort-cpu'],
      batches: [1, 2],
      threads: [1],
      repetitions: 3,
      measure: { minTimeS: 0.05, maxTimeS: 0.3, warmupRuns: 1 },
    });
    await ended;
    const appResults = savedResults(api.store.dir);
    const cliResults = savedResults(cliDir);

    // The same plan, in the same order (interleaved repetitions), with the same rules applied.
    expect(cliResults.length).toBe(6);
    expect(appResults.map(plannedJob)).toEqual(cliResults.map(plannedJob));
    expect(cli.results.map((r: BenchResult) => plannedJob(r))).toEqual(cliResults.map(plannedJob));
    for (const r of [...cliResults, ...appResults]) {
      expect(r.status, r.failure?.reason).toBe('ok');
      // A minimum the user set holds: the early stop on the confidence interval is off.
      expect(r.job.measure.userMinimums).toBe(true);
      expect(r.stopReason).not.toBe('ci-reached');
      expect(r.cost).toEqual(cliResults.find((c) => configKey(c.job) === configKey(r.job))!.cost);
    }
    // The flags only the run's repetitions reveal reached the saved results of both faces.
    for (const results of [cliResults, appResults]) {
      const expected = repetitionFlags(results);
      for (const r of results) for (const f of expected.get(r.id)!) expect(r.flags).toContain(f);
    }
  });

  it('bench: the same bad spec is refused by both faces with the same reason', { timeout: 60_000 }, async () => {
    const api = makeApi();
    const app = await api
      .call('bench.start', {
        targets: [{ kind: 'block', name: 'pointwise', params: { out: '8' } }],
        backends: ['ort-cpu'],
        measure: { minTimeS: 2, maxTimeS: 0.5 },
      })
      .then(
        () => '',
        (e: Error) => e.message,
      );
    const cli = runCli(['bench', 'pointwise:out=8', '--min-time', '2', '--max-time', '0.5']);
    expect(cli.code).toBe(2);
    // The same rule and numbers; each face names the setting in its own words.
    expect(app).toMatch(/measure\.minTimeS \(2 s\) must not exceed measure\.maxTimeS \(0\.5 s\)/);
    expect(cli.stderr).toMatch(/--min-time \(2 s\) must not exceed --max-time \(0\.5 s\)/);
  });
});
