// The fleet under faults (issue 20, docs/FLEET.md "Retries"): an agent killed with SIGKILL mid-job
// (its job retried on another agent, or failed with the reason when no retry is left; nothing else
// lost); a job whose result was saved before its agent died is not run again; PostgreSQL restarted
// during a run (agents and the enqueuer reconnect; every result saved exactly once).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PgServer } from './helpers/postgres.js';
import { cliProcess, cliRun, FAST_ENV, query, startAgent, stopAll, TINY, until, type Proc } from './fleet-helpers.js';

let server: PgServer;
let url: string;
const tmp = mkdtempSync(join(tmpdir(), 'studio-fleet-faults-'));
const procs: Proc[] = [];

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase();
}, 120_000);

afterAll(async () => {
  await stopAll(procs);
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const agentPid = (p: Proc) => Number(/\(host .*, pid (\d+)\) ready/.exec(p.stderr)![1]);
const busy = (name: string) =>
  until(async () => (await query(url, `SELECT 1 FROM fleet.agents WHERE name = $1 AND state = 'busy'`, [name])).length);

describe('the fleet under faults', () => {
  it('an agent killed mid-job: its job is retried on another agent, nothing else is lost', async () => {
    const [k1, k2] = await Promise.all([
      startAgent(url, 'k1', ['shared'], tmp),
      startAgent(url, 'k2', ['shared'], tmp),
    ]);
    procs.push(k1, k2);
    const enqueuer = cliProcess(
      [
        'bench',
        ...TINY,
        '--batch',
        '1,2',
        '--min-time',
        '3',
        '--max-time',
        '4',
        '--on',
        'tag:shared',
        '--db',
        url,
        '--json',
      ],
      FAST_ENV,
    );
    await Promise.all([busy('k1'), busy('k2')]);
    process.kill(agentPid(k1), 'SIGKILL');
    const { code } = await enqueuer.exited;
    expect(code, enqueuer.stderr).toBe(0);
    const doc = JSON.parse(enqueuer.stdout);
    expect(doc.results.map((r: { status: string }) => r.status)).toEqual(['ok', 'ok']);
    // Both measured by k2 in the end, one of them on a second attempt after k1 went silent.
    expect(doc.jobs.map((j: { agent: string; outcome: string }) => [j.agent, j.outcome])).toEqual([
      ['k2', 'ok'],
      ['k2', 'ok'],
    ]);
    const retried = doc.results.find((r: { notes: string[] }) => r.notes.join('\n').includes('attempt 2'));
    expect(retried.notes.join('\n')).toMatch(/measured by agent 'k2'/);
    const events = await query<{ kind: string; payload: { reason: string } }>(
      url,
      `SELECT kind, payload FROM fleet.events WHERE run_id = $1 AND kind = 'retry'`,
      [doc.runId],
    );
    expect(events[0].payload.reason).toMatch(/agent 'k1' .* stopped sending heartbeats .*; retried \(attempt 2 of 2\)/);
    // Saved once each: two results for two jobs.
    const rows = await query<{ id: string }>(url, `SELECT id FROM studio.results WHERE group_id = $1`, [doc.runId]);
    expect(rows).toHaveLength(2);
    // The fleet lists k1 as stale until it comes back.
    const fleet = await cliRun(['fleet', '--db', url, '--json'], FAST_ENV);
    const k1Row = JSON.parse(fleet.stdout).agents.find((a: { name: string }) => a.name === 'k1');
    expect(k1Row.status).toBe('stale');
  });

  it('an agent killed with no retry left: the job is failed with that reason', async () => {
    const k3 = await startAgent(url, 'k3', [], tmp);
    procs.push(k3);
    const queued = await cliRun(
      ['bench', ...TINY, '--min-time', '20', '--max-time', '30', '--on', 'k3', '--db', url, '--detach', '--json'],
      { ...FAST_ENV, BOTTLENECK_FLEET_RETRIES: '0' },
    );
    expect(queued.code, queued.stderr).toBe(0);
    const { runId } = JSON.parse(queued.stdout);
    await busy('k3');
    process.kill(agentPid(k3), 'SIGKILL');
    // No agent waits on this run: `fleet follow` runs the reaper meanwhile.
    const followed = await cliRun(['fleet', 'follow', runId, '--db', url, '--json'], FAST_ENV);
    const [job] = JSON.parse(followed.stdout).jobs;
    expect(job.outcome).toBe('failed');
    expect(job.reason).toMatch(/agent 'k3' \(host .*\) stopped sending heartbeats .*; no retries left/);
    const [state] = await query<{ state: string }>(url, `SELECT state FROM pgboss.job WHERE id = $1`, [job.jobId]);
    expect(state.state).toBe('failed');
  });

  it('a retried job whose result was already saved is completed without running again', async () => {
    const k2 = procs[1];
    const done = await cliRun(
      ['bench', ...TINY, '--min-time', '0.05', '--max-time', '0.3', '--on', 'k2', '--db', url, '--json'],
      FAST_ENV,
    );
    expect(done.code, done.stderr).toBe(0);
    const first = JSON.parse(done.stdout);
    const [payload] = await query<{ data: object }>(url, `SELECT data FROM pgboss.job WHERE id = $1`, [
      first.jobs[0].jobId,
    ]);
    // The same job again, as pg-boss holds it after its agent died between saving and completing:
    // taken before (started_on set), now waiting for its retry.
    const b = new PgBoss({ connectionString: url, supervise: false, schedule: false, migrate: false });
    b.on('error', () => {});
    await b.start();
    try {
      const id = (await b.send('agent.k2', payload.data, { retryLimit: 1, startAfter: 3600 }))!;
      await query(url, `UPDATE pgboss.job SET state = 'retry', started_on = now(), start_after = now() WHERE id = $1`, [
        id,
      ]);
      const row = await until(async () => {
        const [r] = await query<{ state: string; output: { outcome: string; reason: string; resultId: string } }>(
          url,
          `SELECT state, output FROM pgboss.job WHERE id = $1 AND state = 'completed'`,
          [id],
        );
        return r;
      });
      expect(row.output).toMatchObject({ outcome: 'ok', resultId: first.results[0].id });
      expect(row.output.reason).toMatch(/saved by an earlier attempt: not run again/);
      const rows = await query(url, `SELECT id FROM studio.results WHERE group_id = $1`, [first.runId]);
      expect(rows).toHaveLength(1);
      expect(k2.stderr).toMatch(/already has its result .*: not run again/);
    } finally {
      await b.stop({ graceful: false });
    }
  });

  it('PostgreSQL down for longer than a save retries: the result waits in the spool, then is saved once', async () => {
    const s1 = await startAgent(url, 's1', [], tmp);
    procs.push(s1);
    const enqueuer = cliProcess(
      ['bench', ...TINY, '--min-time', '2', '--max-time', '3', '--on', 's1', '--db', url, '--json'],
      FAST_ENV,
    );
    await busy('s1');
    await server.stopServer();
    try {
      // Measured while the database is away: the result is spooled, and the agent says why it waits.
      await s1.waitFor(/job .* ok: p50/, 30_000);
      const spool = join(tmp, 's1', 'fleet-spool');
      await until(async () => readdirSync(spool).some((f) => f.endsWith('.json')), 10_000);
      await s1.waitFor(/cannot reach the database|lost the connection/, 40_000);
      // Longer than the results repository retries a save by itself (20 s): the agent's own retry.
      await new Promise((r) => setTimeout(r, 24_000));
      expect(readdirSync(spool).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    } finally {
      await server.startServer();
    }
    const { code } = await enqueuer.exited;
    expect(code, enqueuer.stderr).toBe(0);
    const doc = JSON.parse(enqueuer.stdout);
    expect(doc.results.map((r: { status: string }) => r.status)).toEqual(['ok']);
    expect(await query(url, `SELECT id FROM studio.results WHERE group_id = $1`, [doc.runId])).toHaveLength(1);
    expect(readdirSync(join(tmp, 's1', 'fleet-spool')).filter((f) => f.endsWith('.json'))).toEqual([]);
    expect(s1.stderr).toMatch(/the database is back/);
    expect(s1.child.exitCode).toBeNull();
  }, 120_000);

  it('PostgreSQL restarted during a run: agents and the enqueuer reconnect; every result is saved exactly once', async () => {
    const [r1, r2] = await Promise.all([startAgent(url, 'r1', ['r'], tmp), startAgent(url, 'r2', ['r'], tmp)]);
    procs.push(r1, r2);
    const enqueuer = cliProcess(
      [
        'bench',
        ...TINY,
        '--batch',
        '1,2,3,4',
        '--min-time',
        '1',
        '--max-time',
        '1.5',
        '--on',
        'tag:r',
        '--db',
        url,
        '--json',
      ],
      FAST_ENV,
    );
    await Promise.all([busy('r1'), busy('r2')]);
    await server.restart(1500);
    const { code } = await enqueuer.exited;
    expect(code, enqueuer.stderr).toBe(0);
    const doc = JSON.parse(enqueuer.stdout);
    expect(doc.results.map((r: { status: string }) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const rows = await query<{ id: string; job_id: string }>(
      url,
      `SELECT id, doc->'job'->>'id' AS job_id FROM studio.results WHERE group_id = $1`,
      [doc.runId],
    );
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((r) => r.job_id)).size).toBe(4);
    // The agents lived through it, said so once, and are idle again.
    for (const a of [r1, r2]) expect(a.child.exitCode).toBeNull();
    expect(r1.stderr + r2.stderr).toMatch(/the database is back/);
    await until(
      async () =>
        (await query(url, `SELECT 1 FROM fleet.agents WHERE name IN ('r1', 'r2') AND state = 'idle'`)).length === 2,
    );
  });
});
