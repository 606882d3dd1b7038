// The machine: its profile, the backends (available or not, with the reason) and the roofline (the
// one main keeps for this machine, shown at load, or measured when asked).
import { defineStore } from 'pinia';
import type { BackendAvailability, Roofline } from '../../../shared/contract/api.js';
import type { MachineProfile } from '../../../shared/contract/machine.js';
import { errorMessage, getApi } from '../api/index.js';

export const useHardwareStore = defineStore('hardware', {
  state: () => ({
    profile: null as MachineProfile | null,
    backends: [] as BackendAvailability[],
    roofline: null as Roofline | null,
    loading: false,
    measuring: false,
    error: null as string | null,
    rooflineError: null as string | null,
  }),
  getters: {
    availableBackends: (s) => s.backends.filter((b) => b.available),
    unavailableBackends: (s) => s.backends.filter((b) => !b.available),
  },
  actions: {
    /** Loads the profile and the backends (once, unless `force`). */
    async load(force = false): Promise<void> {
      if (this.loading || (this.profile && !force)) return;
      this.loading = true;
      const api = getApi();
      try {
        const [profile, backends] = await Promise.all([
          api.call('machine.profile', {}),
          api.call('machine.backends', {}),
        ]);
        this.profile = profile;
        this.backends = backends;
        if (profile.roofline && !this.roofline) this.roofline = profile.roofline;
        this.error = null;
      } catch (e) {
        this.error = errorMessage(e);
      } finally {
        this.loading = false;
      }
      await this.loadKeptRoofline();
    },
    /** The roofline kept for this machine, if any (never measures: a reload shows the last one). */
    async loadKeptRoofline(): Promise<void> {
      if (this.roofline || this.measuring) return;
      try {
        const kept = await getApi().call('machine.roofline', { fresh: false, measure: false });
        if (kept && !this.roofline) this.roofline = kept;
      } catch {
        // Nothing kept to show; measuring says why if it cannot be done.
      }
    },
    /** The roofline: the kept one, or measured (a few seconds); `fresh` measures again and keeps the new one. */
    async measureRoofline(fresh = false): Promise<void> {
      if (this.measuring) return;
      this.measuring = true;
      try {
        this.roofline = await getApi().call('machine.roofline', { fresh, measure: true });
        this.rooflineError = null;
      } catch (e) {
        this.rooflineError = errorMessage(e);
      } finally {
        this.measuring = false;
      }
    },
  },
});
