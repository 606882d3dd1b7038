// The machine service: what this machine is (the profile every result embeds), which backends run
// here and why the others do not (detected by trying each one), its graphics adapters, and its
// roofline. The profile and the roofline are probed once and kept; a failed probe is not kept, so
// the next call tries again (the native addon may have been built in between).
import type { BackendAvailability, Roofline } from '../../shared/contract/api.js';
import type { MachineProfile } from '../../shared/contract/machine.js';
import { detectBackends } from '../backends/registry.js';
import { gpuAdapters, type AdapterReport } from '../machine/gpu-adapters.js';
import { probeMachine } from '../machine/profile.js';
import { measureRooflineInChild } from './roofline.js';

export interface MachineServiceOptions {
  /** The machine profile (default: probeMachine()). */
  profile?: () => Promise<MachineProfile>;
  /** Backend detection (default: every backend tried in this process). */
  detectBackends?: () => Promise<BackendAvailability[]>;
  /** The roofline (default: measured in a child process with the native kernels). */
  measureRoofline?: () => Promise<Roofline>;
}

export class MachineService {
  private profileOnce?: Promise<MachineProfile>;
  private rooflineOnce?: Promise<Roofline>;

  constructor(private readonly opts: MachineServiceOptions = {}) {}

  profile(): Promise<MachineProfile> {
    if (!this.profileOnce) {
      const p = (this.opts.profile ?? probeMachine)();
      p.catch(() => this.profileOnce === p && (this.profileOnce = undefined));
      this.profileOnce = p;
    }
    return this.profileOnce;
  }

  /** Every known backend, available or not, each with its reason (no runtime detail beyond that). */
  async backends(): Promise<BackendAvailability[]> {
    const list = this.opts.detectBackends ? await this.opts.detectBackends() : await detectBackends();
    return list.map((a) => ({
      backend: a.backend,
      provider: a.provider,
      available: a.available,
      ...(a.kind !== undefined ? { kind: a.kind } : {}),
      ...(a.reason !== undefined ? { reason: a.reason } : {}),
      ...(a.adapter !== undefined ? { adapter: a.adapter } : {}),
    }));
  }

  adapters(): Promise<AdapterReport> {
    return gpuAdapters();
  }

  /** The roofline, measured once (or again with `fresh`). */
  roofline(opts: { fresh?: boolean } = {}): Promise<Roofline> {
    if (opts.fresh || !this.rooflineOnce) {
      const p = (this.opts.measureRoofline ?? (() => measureRooflineInChild()))();
      p.catch(() => this.rooflineOnce === p && (this.rooflineOnce = undefined));
      this.rooflineOnce = p;
    }
    return this.rooflineOnce;
  }

  /** The profile with the roofline attached (what `hw --roofline` prints). */
  async profileWithRoofline(): Promise<MachineProfile> {
    const [profile, roofline] = await Promise.all([this.profile(), this.roofline()]);
    return { ...profile, roofline };
  }
}
