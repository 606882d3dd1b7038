// The fleet end to end (issue 20, docs/FLEET.md): real PostgreSQL, pg-boss, agents and enqueuers as
// CLI child processes. Jobs routed by name and by tag; hostile job specs and a model whose bytes do
// not match its hash refused and named; SIGTERM stops an agent cleanly; a database that cannot be
// reached is a clear error.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_SCHEMA_VERSION } from '../shared/contract/job.js';
import { agentRoleGrants } from '../main/fleet/schema.js';
import { cli } from './helpers/cli.js';
import { freePort, startPostgres, type PgServer } from './helpers/postgres.js';
import { cliRun, FAST_ENV, query, QUICK, startAgent, stopAll, TINY, until, type Proc } from './fleet-helpers.js';

let server: PgServer;
let url: string;
const tmp = mkdtempSync(join(tmpdir(), 'studio-fleet-'));
const agents: Proc[] = [];

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase();
  // Two agents on this machine (for tests; real measurements want one agent per machine).
  agents.push(
    ...(await Promise.all([
      startAgent(url, 'alpha', ['cpu', 'laptop'], tmp),
      startAgent(url, 'beta', ['cpu', 'server'], tmp),
    ])),
  );
}, 180_000);

afterAll(async () => {
  await stopAll(agents);
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** The agent's process id, from its ready line (tsx runs it in a child process of its own). */
const agentPid = (p: Proc) => Number(/\(host .*, pid (\d+)\) ready/.exec(p.stderr)![1]);

const boss = async () => {
  const b = new PgBoss({ connectionString: url, supervise: false, schedule: false, migrate: false });
  b.on('error', () => {});
  await b.start();
  return b;
};

/** A valid remote payload for a queue, changed by `patch` (the hostile tests break it). */
const payload = (job: Record<string, unknown> = {}) => ({
  version: 1,
  runId: 'run-hostile',
  destination: 'alpha',
  requestedBy: 'a test',
  job: {
    version: JOB_SCHEMA_VERSION,
    id: `hostile-${Math.random().toString(36).slice(2)}`,
    target: { kind: 'block', name: 'pointwise', params: { height: 8, width: 8 } },
    backend: { backend: 'ort-cpu' },
    measure: { minRuns: 5, maxTimeS: 0.3, minTimeS: 0.05 },
    ...job,
  },
});

/** Waits for a job sent straight to pg-boss to end; returns its state and output. */
const ended = (queue: string, id: string) =>
  until(async () => {
    const [row] = await query<{ state: string; output: Record<string, string>; retry_count: number }>(
      url,
      `SELECT state, output, retry_count FROM pgboss.job WHERE name = $1 AND id = $2 AND state IN ('completed', 'failed', 'cancelled')`,
      [queue, id],
    );
    return row;
  }, 60_000);

describe('a fleet of two agents', () => {
  it('routes jobs by agent name and by tag; each result says which agent and machine measured it', async () => {
    const r = await cliRun(['bench', ...QUICK, '--on', 'alpha,tag:server', '--db', url, '--json'], FAST_ENV);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.db).not.toContain(server.password);
    expect(doc.results).toHaveLength(2);
    expect(
      doc.jobs.map((j: { destination: string; agent: string; outcome: string }) => [j.destination, j.agent, j.outcome]),
    ).toEqual([
      ['alpha', 'alpha', 'ok'],
      ['tag:server', 'beta', 'ok'],
    ]);
    const [a, b] = doc.results;
    expect(a.status).toBe('ok');
    expect(a.job.group).toBe(doc.runId);
    expect(a.notes.join('\n')).toMatch(/measured by agent 'alpha' on host /);
    expect(b.notes.join('\n')).toMatch(/measured by agent 'beta' on host /);
    expect(a.machine.cpu.threads).toBeGreaterThan(0);
    // Saved in the team's database, once each, with the run as their group.
    const rows = await query<{ id: string; doc: { notes: string[] } }>(
      url,
      `SELECT id, doc FROM studio.results WHERE group_id = $1 ORDER BY id`,
      [doc.runId],
    );
    expect(rows.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    // And the fleet's view: both agents idle again, their queues empty.
    const fleet = cli(['fleet', '--db', url, '--json']);
    expect(fleet.code, fleet.stderr).toBe(0);
    const status = JSON.parse(fleet.stdout);
    expect(
      status.agents.map((x: { name: string; status: string; tags: string[] }) => [x.name, x.status, x.tags]),
    ).toEqual([
      ['alpha', 'idle', ['cpu', 'laptop']],
      ['beta', 'idle', ['cpu', 'server']],
    ]);
    expect(status.queues.find((q: { name: string }) => q.name === 'tag.server')).toMatchObject({
      queued: 0,
      active: 0,
    });
    const text = cli(['fleet', '--db', url]);
    expect(text.stdout).toMatch(/alpha\s+cpu,laptop/);
    expect(text.stdout).not.toContain(server.password);
  });

  it('refuses hostile job specs sent straight to the queue, names why, and never retries them', async () => {
    const b = await boss();
    try {
      const cases: [string, unknown, RegExp][] = [
        [
          'a file target with a path on the agent',
          payload({ target: { kind: 'file', path: '../../../../etc/passwd', dims: {} } }),
          /file target must be a model sent by hash.*'\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd'/,
        ],
        ['an absurd batch', payload({ batch: 1e9 }), /job\.batch: .*65536/],
        ['an unknown field', payload({ shell: 'rm -rf /' }), /unknown fields: job\.shell/],
        [
          'an unknown field deep down',
          payload({ backend: { backend: 'ort-cpu', preload: '/tmp/x.so' } }),
          /unknown fields: job\.backend\.preload/,
        ],
        ['a wrong type', payload({ batch: 'all of them' }), /job\.batch/],
        ['not a job at all', { hello: 'world' }, /does not match the job schema/],
        ["a time limit past the agent's", payload({ timeLimitS: 80_000 }), /over this agent's limit/],
      ];
      const ids: string[] = [];
      for (const [, data] of cases) ids.push((await b.send('agent.alpha', data as object, { retryLimit: 3 }))!);
      for (let i = 0; i < cases.length; i++) {
        const row = await ended('agent.alpha', ids[i]);
        expect(row.state, cases[i][0]).toBe('completed');
        expect(row.retry_count, cases[i][0]).toBe(0);
        expect(row.output.outcome, cases[i][0]).toBe('refused');
        expect(row.output.reason, cases[i][0]).toMatch(cases[i][2]);
      }
      expect(agents[0].stderr).toMatch(/refused job .*: a remote job's file target must be a model sent by hash/);
      // Nothing was measured or saved for them.
      expect(await query(url, `SELECT id FROM studio.results WHERE group_id = 'run-hostile'`)).toEqual([]);
    } finally {
      await b.stop({ graceful: false });
    }
  });

  it('runs a model sent by hash, and refuses one whose bytes do not match it', async () => {
    const model = join(tmp, 'pw.onnx');
    const other = join(tmp, 'pw32.onnx');
    expect(cli(['export', 'pointwise', '--set', 'height=8,width=8', '--out', model]).code).toBe(0);
    expect(cli(['export', 'pointwise', '--set', 'height=8,width=8,out=32', '--out', other]).code).toBe(0);
    const r = await cliRun([
      'bench',
      model,
      '--min-runs',
      '5',
      '--max-time',
      '0.3',
      '--on',
      'alpha',
      '--db',
      url,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [res] = JSON.parse(r.stdout).results;
    const sha = createHash('sha256').update(readFileSync(model)).digest('hex');
    expect(res.status).toBe('ok');
    expect(res.job.target).toMatchObject({ kind: 'file', path: 'pw.onnx' });
    expect(res.notes.join('\n')).toContain(`sha256 ${sha}`);
    // The agent cached the model under its hash.
    expect(readdirSync(join(tmp, 'alpha', 'fleet-models'))).toContain(`${sha}.onnx`);

    // Another model's hash, stored with bytes that are not its own (a tampered blob).
    const bytes = readFileSync(other);
    const otherSha = createHash('sha256').update(bytes).digest('hex');
    const tampered = Buffer.from(bytes);
    tampered[tampered.length - 1] ^= 0xff;
    await query(url, `INSERT INTO fleet.blobs (sha256, size, chunks) VALUES ($1, $2, 1)`, [otherSha, bytes.length]);
    await query(url, `INSERT INTO fleet.blob_chunks (sha256, idx, bytes) VALUES ($1, 0, $2)`, [otherSha, tampered]);
    const b = await boss();
    try {
      const id = (await b.send(
        'agent.alpha',
        {
          ...payload({ target: { kind: 'file', path: `blob:${otherSha}`, dims: {} } }),
          model: { sha256: otherSha, bytes: bytes.length, name: 'pw32.onnx' },
        },
        { retryLimit: 2 },
      ))!;
      const row = await ended('agent.alpha', id);
      expect(row.state).toBe('completed');
      expect(row.output.outcome).toBe('refused');
      expect(row.output.reason).toContain(`model bytes do not match hash ${otherSha}`);
      // Nothing of it is left in the cache.
      expect(readdirSync(join(tmp, 'alpha', 'fleet-models')).some((f) => f.includes(otherSha))).toBe(false);
    } finally {
      await b.stop({ graceful: false });
    }
  });

  it('SIGTERM stops an agent cleanly: its running job is cancelled (agent stopped), the agent exits 0', async () => {
    const gamma = await startAgent(url, 'gamma', [], tmp);
    const queued = await cliRun(
      ['bench', ...TINY, '--min-time', '20', '--max-time', '30', '--on', 'gamma', '--db', url, '--detach', '--json'],
      FAST_ENV,
    );
    expect(queued.code, queued.stderr).toBe(0);
    const { runId } = JSON.parse(queued.stdout);
    await until(
      async () => (await query(url, `SELECT 1 FROM fleet.agents WHERE name = 'gamma' AND state = 'busy'`)).length,
    );
    await gamma.waitFor(/"?job .* from agent\.gamma/);
    await new Promise((r) => setTimeout(r, 1500)); // measuring
    const t0 = Date.now();
    // The agent's own process (below tsx), as a service manager running the built CLI would signal it.
    process.kill(agentPid(gamma), 'SIGTERM');
    const exit = await gamma.exited;
    expect(exit.code, gamma.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(gamma.stderr).toMatch(/stopped$/m);
    const [job] = await query<{ outcome: string; reason: string; result_id: string; state: string }>(
      url,
      `SELECT f.outcome, f.reason, f.result_id, j.state FROM fleet.jobs f JOIN pgboss.job j ON j.id = f.job_id WHERE f.run_id = $1`,
      [runId],
    );
    expect(job).toMatchObject({ outcome: 'cancelled', reason: 'agent stopped', state: 'cancelled' });
    const [saved] = await query<{ doc: { status: string; failure: { reason: string } } }>(
      url,
      `SELECT doc FROM studio.results WHERE id = $1`,
      [job.result_id],
    );
    expect(saved.doc.status).toBe('cancelled');
    expect(saved.doc.failure.reason).toBe('agent stopped');
    const [row] = await query<{ state: string; current_job: string | null }>(
      url,
      `SELECT state, current_job FROM fleet.agents WHERE name = 'gamma'`,
    );
    expect(row).toEqual({ state: 'stopped', current_job: null });
    // `fleet follow` reports the run as ended.
    const followed = await cliRun(['fleet', 'follow', runId, '--db', url, '--json']);
    expect(JSON.parse(followed.stdout).jobs[0]).toMatchObject({ outcome: 'cancelled', reason: 'agent stopped' });
  });

  it('an agent works with the least rights docs/FLEET.md gives its role (no DDL, no deleting results)', async () => {
    const role = 'fleet_agent_t';
    const password = 'agent-pw-5531';
    const database = new URL(url).pathname.slice(1);
    await server.sql(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    for (const grant of agentRoleGrants(role)) await server.sql(grant, database);
    const agentUrl = server.urlFor(database, { user: role, password });
    const delta = await startAgent(agentUrl, 'delta', ['least'], tmp);
    agents.push(delta);
    expect(delta.stderr).toMatch(/queue tag\.least does not exist and this role may not create it/);
    // The owner's enqueuer creates the queues; the agent takes the jobs and saves the results.
    const r = await cliRun(['bench', ...QUICK, '--on', 'delta,tag:least', '--db', url, '--json'], FAST_ENV);
    expect(r.code, r.stderr + delta.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.jobs.map((j: { agent: string; outcome: string }) => [j.agent, j.outcome])).toEqual([
      ['delta', 'ok'],
      ['delta', 'ok'],
    ]);
    for (const sql of ['DELETE FROM studio.results', 'CREATE TABLE fleet.x (a int)', 'DELETE FROM fleet.blobs'])
      await expect(query(agentUrl, sql), sql).rejects.toThrow(/permission denied/);
  });

  it('a database that cannot be reached, or refuses the password, is one clear error (no password shown)', async () => {
    const port = await freePort();
    const secret = 'Very-Secret-pw-8472';
    const down = `postgres://studio:${secret}@127.0.0.1:${port}/nothing`;
    const wrong = server.urlFor(new URL(url).pathname.slice(1), { user: 'studio', password: secret });
    const local = join(tmp, 'local-results');
    const runs = [
      ['agent', '--db', down, '--name', 'zeta', '--results', local],
      ['agent', '--db', wrong, '--name', 'zeta', '--results', local],
      ['bench', ...QUICK, '--on', 'alpha', '--db', down, '--results', local],
      ['fleet', '--db', wrong],
      ['fleet', 'cancel', 'run-x', '--db', down],
    ];
    const outs = await Promise.all(runs.map((args) => cliRun(args)));
    runs.forEach((args, i) => {
      const r = outs[i];
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^error: (cannot reach the database|password authentication failed)/m);
      expect(r.stderr + r.stdout).not.toContain(secret);
      expect(r.stderr).not.toMatch(/internal error|at .*\.ts:\d+/);
    });
    // The local results folder holds no result.
    expect(existsSync(local) ? readdirSync(local).filter((f) => f.endsWith('.json')) : []).toEqual([]);
  });

  it('cancels a run from the CLI: queued jobs at once, the running one by its agent', async () => {
    const queued = await cliRun(
      [
        'bench',
        ...TINY,
        '--batch',
        '1,2,3',
        '--min-time',
        '20',
        '--max-time',
        '30',
        '--on',
        'beta',
        '--db',
        url,
        '--detach',
        '--json',
      ],
      FAST_ENV,
    );
    expect(queued.code, queued.stderr).toBe(0);
    const { runId, jobs } = JSON.parse(queued.stdout);
    expect(jobs).toBe(3);
    await until(
      async () => (await query(url, `SELECT 1 FROM fleet.agents WHERE name = 'beta' AND state = 'busy'`)).length,
    );
    const c = cli(['fleet', 'cancel', runId, '--db', url, '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout)).toEqual({ runId, queued: 2, running: 1 });
    const rows = await until(async () => {
      const r = await query<{ outcome: string | null }>(
        url,
        `SELECT outcome FROM fleet.jobs WHERE run_id = $1 ORDER BY seq`,
        [runId],
      );
      return r.every((x) => x.outcome) && r;
    }, 20_000);
    expect(rows.map((r) => r.outcome)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    // The agent is free again and takes the next job.
    await until(
      async () => (await query(url, `SELECT 1 FROM fleet.agents WHERE name = 'beta' AND state = 'idle'`)).length,
    );
    expect(agents[1].stderr).toMatch(/cancelled/);
  });
});
