// Queuing on the fleet from the app (issue 20): fleet.enqueue, fleet.runs and fleet.cancel through the
// app's API (main/api/studio-api.ts) over a real PostgreSQL with one real agent (a CLI child process):
// a tiny job queued to the agent by name ends ok and shows in fleet.runs; a long one is cancelled
// while it runs (the agent records it cancelled); a model file, an unknown target and a bad
// destination are refused; without a database the three methods refuse with the reason.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FLEET_PROBLEM } from '../main/api/history.js';
import type { FleetRunView } from '../shared/contract/fleet.js';
import { startPostgres, type PgServer } from './helpers/postgres.js';
import { apiError, studioApis } from './helpers/studio-api.js';
import { query, startAgent, stopAll, until, type Proc } from './fleet-helpers.js';

let server: PgServer;
let url: string;
const tmp = mkdtempSync(join(tmpdir(), 'studio-api-fleet-'));
let agent: Proc | undefined;
const saved = process.env.BOTTLENECK_DB;
delete process.env.BOTTLENECK_DB;
const { makeApi } = studioApis('studio-api-fleet');

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase();
  agent = await startAgent(url, 'ws-1', ['cpu'], tmp);
}, 180_000);

afterAll(async () => {
  await stopAll([agent]);
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
  if (saved !== undefined) process.env.BOTTLENECK_DB = saved;
});

const withDatabase = async () => {
  const api = makeApi();
  await api.call('settings.set', { resultsDatabase: url });
  return api;
};

const TINY = {
  targets: ['pointwise:height=8,width=8'],
  backends: ['ort-cpu' as const],
  measure: { warmupRuns: 1, minRuns: 5, minTimeS: 0.05, maxTimeS: 0.3 },
};

const runOf = async (api: Awaited<ReturnType<typeof withDatabase>>, runId: string): Promise<FleetRunView> => {
  const { runs } = await api.call('fleet.runs', {});
  const run = runs.find((r) => r.runId === runId);
  if (!run) throw new Error(`${runId} not in fleet.runs`);
  return run;
};

describe('fleet.enqueue, fleet.runs, fleet.cancel', () => {
  it('queues a tiny benchmark on an agent by name; fleet.runs shows it until it ends ok', async () => {
    const api = await withDatabase();
    const queued = await api.call('fleet.enqueue', { ...TINY, destinations: 'ws-1' });
    expect(queued).toMatchObject({ jobs: 1, destinations: ['ws-1'], unserved: [] });
    expect(queued.runId).toMatch(/^run-/);
    const listed = await runOf(api, queued.runId);
    expect(listed).toMatchObject({ jobs: 1, destinations: ['ws-1'] });
    expect(listed.requestedBy).toMatch(/.@./);
    expect(listed.labels[0]).toMatch(/pointwise/);
    const ended = await until(async () => {
      const r = await runOf(api, queued.runId);
      return r.counts.ok === 1 ? r : undefined;
    }, 90_000);
    expect(ended.counts).toEqual({ queued: 0, running: 0, ok: 1, failed: 0, cancelled: 0 });
    const [job] = await query<{ agent: string; outcome: string; result_id: string }>(
      url,
      `SELECT agent, outcome, result_id FROM fleet.jobs WHERE run_id = $1`,
      [queued.runId],
    );
    expect(job).toMatchObject({ agent: 'ws-1', outcome: 'ok' });
    // The result landed in the results database the app reads.
    const got = await api.call('results.get', { ids: [job.result_id] });
    expect(got[0]).toMatchObject({ id: job.result_id, status: 'ok' });
  }, 120_000);

  it('cancels a running run from the app: the agent records it cancelled', async () => {
    const api = await withDatabase();
    const queued = await api.call('fleet.enqueue', {
      ...TINY,
      destinations: 'tag:cpu',
      measure: { warmupRuns: 1, minRuns: 5, minTimeS: 20, maxTimeS: 30 },
    });
    expect(queued).toMatchObject({ jobs: 1, destinations: ['tag:cpu'] });
    await until(async () => (await runOf(api, queued.runId)).counts.running === 1, 90_000);
    expect(await api.call('fleet.cancel', { runId: queued.runId })).toEqual({ queued: 0, running: 1 });
    const ended = await until(async () => {
      const r = await runOf(api, queued.runId);
      return r.counts.cancelled === 1 ? r : undefined;
    }, 30_000);
    expect(ended.counts).toMatchObject({ queued: 0, running: 0, ok: 0, cancelled: 1 });
    const [job] = await until(async () => {
      const rows = await query<{ agent: string; outcome: string | null }>(
        url,
        `SELECT agent, outcome FROM fleet.jobs WHERE run_id = $1`,
        [queued.runId],
      );
      return rows[0]?.outcome ? rows : undefined;
    }, 30_000);
    expect(job).toMatchObject({ agent: 'ws-1', outcome: 'cancelled' });
    // Cancelling again finds nothing left to cancel.
    expect(await api.call('fleet.cancel', { runId: queued.runId })).toEqual({ queued: 0, running: 0 });
  }, 150_000);

  it('cancels a queued run (no agent serves it) at once', async () => {
    const api = await withDatabase();
    const queued = await api.call('fleet.enqueue', { ...TINY, destinations: 'nobody', batches: [1, 2] });
    expect(queued).toMatchObject({ jobs: 2, destinations: ['nobody'], unserved: ['nobody'] });
    expect((await runOf(api, queued.runId)).counts.queued).toBe(2);
    expect(await api.call('fleet.cancel', { runId: queued.runId })).toEqual({ queued: 2, running: 0 });
    expect((await runOf(api, queued.runId)).counts).toEqual({ queued: 0, running: 0, ok: 0, failed: 0, cancelled: 2 });
    // Newest first.
    expect((await api.call('fleet.runs', {})).runs[0].runId).toBe(queued.runId);
  });

  it('refuses a model file, an unknown target, a bad destination and an unknown run, naming them', async () => {
    const api = await withDatabase();
    const file = await apiError(
      api.call('fleet.enqueue', { ...TINY, targets: ['/tmp/model.onnx'], destinations: 'ws-1' }),
    );
    expect(file.code).toBe('bad-request');
    expect(file.message).toContain('a model file is queued from the CLI (bench FILE --on ...)');
    const unknown = await apiError(
      api.call('fleet.enqueue', { ...TINY, targets: ['no-such-block'], destinations: 'ws-1' }),
    );
    expect(unknown.message).toMatch(/unknown target 'no-such-block'/);
    const dest = await apiError(api.call('fleet.enqueue', { ...TINY, destinations: 'bad name!' }));
    expect(dest.code).toBe('bad-request');
    const run = await apiError(api.call('fleet.cancel', { runId: 'run-nope' }));
    expect(run.code).toBe('not-found');
    expect(run.message).toContain('run-nope');
  });

  it('without a database, the three methods refuse and say to set one', async () => {
    const api = makeApi();
    for (const p of [
      api.call('fleet.enqueue', { ...TINY, destinations: 'ws-1' }),
      api.call('fleet.runs', {}),
      api.call('fleet.cancel', { runId: 'run-x' }),
    ]) {
      const e = await apiError(p);
      expect(e.code).toBe('unsupported');
      expect(e.message).toBe(NO_FLEET_PROBLEM);
    }
  });
});
