// The team's fleet: its benchmark agents and queues (fleet.list: they live in the results database),
// read again every few seconds while the Fleet view is shown; ages ("12 s ago") count on from when
// main read the list. The "Across machines" card reads the series from the History store and the
// latest results it compares from the Results store's cache.
import { defineStore } from 'pinia';
import type { FleetAgentView, FleetQueueView } from '../../../shared/contract/history.js';
import type { FleetEnqueueRequest, FleetEnqueueResponse, FleetRunView } from '../../../shared/contract/fleet.js';
import { errorMessage, getApi } from '../api/index.js';

/** How often the Fleet view reads the list again (ms). */
export const FLEET_POLL_MS = 5000;

/** The placeholder for the database URL in the commands shown (the real one never carries its password here). */
export const URL_PLACEHOLDER = 'postgres://USER@HOST:5432/DB';

/** The commands that start an agent and queue a benchmark on it, with the database's URL when one is set. */
export function fleetCommands(dbUrl: string | undefined, name = 'NAME') {
  const db = dbUrl || URL_PLACEHOLDER;
  const quoted = /^[A-Za-z0-9@%:/._?=&+-]+$/.test(db) ? db : `'${db.replace(/'/g, `'\\''`)}'`;
  return {
    agent: `npm run agent -- --db ${quoted} --name ${name} --tags cuda`,
    enqueue: `npm run cli -- bench resnet50 --on ${name} --db ${quoted}`,
    list: `npm run cli -- fleet --db ${quoted}`,
  };
}

/** The "Queue on the fleet" form as typed: comma-separated lists, empty fields left to the defaults. */
export interface FleetQueueForm {
  targets: string;
  destinations: string;
  backend: string;
  batches: string;
  threads: string;
  minTimeS: string;
  maxTimeS: string;
}

export const emptyQueueForm = (): FleetQueueForm => ({
  targets: '',
  destinations: '',
  backend: 'ort-cpu',
  batches: '',
  threads: '',
  minTimeS: '',
  maxTimeS: '',
});

const items = (text: string) =>
  text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);

function integers(text: string, what: string, min: number): number[] | undefined {
  const list = items(text);
  if (!list.length) return undefined;
  return list.map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new Error(`${what} must be integers from ${min}, got '${s}'`);
    return n;
  });
}

function seconds(text: string, what: string): number | undefined {
  if (!text.trim()) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a number of seconds, got '${text}'`);
  return n;
}

/**
 * The form as a fleet.enqueue request, or an Error saying what is wrong. Targets are separated by
 * new lines or by spaces between targets ('pointwise:height=8,width=8 resnet50'): a target's own
 * parameters keep their commas.
 */
export function queueRequestOf(form: FleetQueueForm): FleetEnqueueRequest {
  const targets = form.targets
    .split(/[\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (!targets.length) throw new Error('name at least one target (a block or zoo model, e.g. pointwise:height=8)');
  if (!form.destinations.trim()) throw new Error('name at least one agent or tag:TAG to queue on');
  const batches = integers(form.batches, 'batches', 1);
  const threads = integers(form.threads, 'threads', 0);
  const minTimeS = seconds(form.minTimeS, 'the minimum time');
  const maxTimeS = seconds(form.maxTimeS, 'the maximum time');
  const backends = items(form.backend) as FleetEnqueueRequest['backends'];
  return {
    targets,
    destinations: form.destinations.trim(),
    ...(backends?.length ? { backends } : {}),
    ...(batches ? { batches } : {}),
    ...(threads ? { threads } : {}),
    ...(minTimeS !== undefined || maxTimeS !== undefined
      ? {
          measure: {
            ...(minTimeS !== undefined ? { minTimeS } : {}),
            ...(maxTimeS !== undefined ? { maxTimeS } : {}),
          },
        }
      : {}),
  };
}

/** Destinations to suggest: each live agent's name and each tag ('tag:cuda'), once. */
export function destinationSuggestions(agents: readonly FleetAgentView[]): string[] {
  const live = agents.filter((a) => a.state !== 'stopped');
  return [...new Set([...live.map((a) => a.name), ...live.flatMap((a) => a.tags.map((t) => `tag:${t}`))])];
}

/** Whether a run still has jobs to cancel. */
export const cancellable = (r: FleetRunView) => r.counts.queued + r.counts.running > 0;

export const useFleetStore = defineStore('fleet', {
  state: () => ({
    agents: [] as FleetAgentView[],
    queues: [] as FleetQueueView[],
    /** Why there is no fleet to show (no database, unreachable). */
    problem: null as string | null,
    /** When main read the list, and when it arrived here (Date.now()). */
    checkedAt: null as string | null,
    receivedAt: 0,
    /** Ticks every second while the view is shown, so that ages count on. */
    now: Date.now(),
    loading: false,
    loaded: false,
    error: null as string | null,
    /** The fleet's recent runs (fleet.runs), newest first; read with the agents when a database is in use. */
    runs: [] as FleetRunView[],
    runsError: null as string | null,
    queueing: false,
    /** Why the last Queue was refused (shown in red), or what it queued. */
    queueError: null as string | null,
    lastQueued: null as FleetEnqueueResponse | null,
    /** Run ids being cancelled now, and the last cancel's outcome or refusal. */
    cancelling: [] as string[],
    cancelNote: null as string | null,
    cancelError: null as string | null,
  }),
  getters: {
    queued: (s) => s.queues.reduce((n, q) => n + q.queued, 0),
    active: (s) => s.queues.reduce((n, q) => n + q.active, 0),
  },
  actions: {
    async refresh(): Promise<void> {
      this.loading = true;
      try {
        const res = await getApi().call('fleet.list', {});
        this.agents = res.agents;
        this.queues = res.queues;
        this.problem = res.problem ?? null;
        this.checkedAt = res.checkedAt;
        this.receivedAt = Date.now();
        this.now = this.receivedAt;
        this.error = null;
        // Runs live in the database too: read only when the fleet is there to read.
        if (!res.problem) await this.refreshRuns();
        else this.runs = [];
      } catch (e) {
        this.error = `The fleet could not be read: ${errorMessage(e)}`;
      } finally {
        this.loading = false;
        this.loaded = true;
      }
    },
    async refreshRuns(): Promise<void> {
      try {
        this.runs = (await getApi().call('fleet.runs', {})).runs;
        this.runsError = null;
      } catch (e) {
        this.runsError = `The fleet's runs could not be read: ${errorMessage(e)}`;
      }
    },
    /** Queues the form's benchmark (fleet.enqueue); true when queued. */
    async enqueue(form: FleetQueueForm): Promise<boolean> {
      this.queueError = null;
      this.lastQueued = null;
      let request: FleetEnqueueRequest;
      try {
        request = queueRequestOf(form);
      } catch (e) {
        this.queueError = errorMessage(e);
        return false;
      }
      this.queueing = true;
      try {
        this.lastQueued = await getApi().call('fleet.enqueue', request);
        await this.refreshRuns();
        return true;
      } catch (e) {
        this.queueError = errorMessage(e);
        return false;
      } finally {
        this.queueing = false;
      }
    },
    /** Cancels a run's queued and running jobs (fleet.cancel). */
    async cancel(runId: string): Promise<void> {
      if (this.cancelling.includes(runId)) return;
      this.cancelling.push(runId);
      this.cancelError = null;
      try {
        const { queued, running } = await getApi().call('fleet.cancel', { runId });
        this.cancelNote = `${runId}: ${queued} queued job${queued === 1 ? '' : 's'} cancelled${running ? `, ${running} running job${running === 1 ? '' : 's'} stopping` : ''}`;
        await this.refreshRuns();
      } catch (e) {
        this.cancelError = `${runId} was not cancelled: ${errorMessage(e)}`;
      } finally {
        this.cancelling = this.cancelling.filter((id) => id !== runId);
      }
    },
    /** Seconds since an agent's last heartbeat, now. */
    lastSeen(a: Pick<FleetAgentView, 'lastSeenS'>): number {
      return a.lastSeenS + Math.max(0, this.now - this.receivedAt) / 1000;
    },
    /** Reads the list now and every FLEET_POLL_MS, and ticks the ages every second; returns stop. */
    start(pollMs = FLEET_POLL_MS): () => void {
      void this.refresh();
      const poll = setInterval(() => void this.refresh(), pollMs);
      const tick = setInterval(() => (this.now = Date.now()), 1000);
      return () => {
        clearInterval(poll);
        clearInterval(tick);
      };
    },
  },
});
