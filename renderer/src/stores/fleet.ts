// The team's fleet: its benchmark agents and queues (fleet.list: they live in the results database),
// read again every few seconds while the Fleet view is shown; ages ("12 s ago") count on from when
// main read the list. The "Across machines" card reads the series from the History store and the
// latest results it compares from the Results store's cache.
import { defineStore } from 'pinia';
import type { FleetAgentView, FleetQueueView } from '../../../shared/contract/history.js';
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
      } catch (e) {
        this.error = `The fleet could not be read: ${errorMessage(e)}`;
      } finally {
        this.loading = false;
        this.loaded = true;
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
