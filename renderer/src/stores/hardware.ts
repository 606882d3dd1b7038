// The machine: its profile, the backends (available or not, with the reason) and the roofline.
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
    },
    /** Measures the roofline (a few seconds); `fresh` skips main's cache. */
    async measureRoofline(fresh = false): Promise<void> {
      if (this.measuring) return;
      this.measuring = true;
      try {
        this.roofline = await getApi().call('machine.roofline', { fresh });
        this.rooflineError = null;
      } catch (e) {
        this.rooflineError = errorMessage(e);
      } finally {
        this.measuring = false;
      }
    },
  },
});
