// The machine service: what this machine is (the profile every result embeds), which backends run
// here and why the others do not (detected by trying each one), its graphics adapters, and its
// roofline. The profile is probed once and kept; a failed probe is not kept, so the next call tries
// again (the native addon may have been built in between).
//
// The roofline is measured only when asked (a few seconds of every core) and then kept: in this
// process, and, given a RooflineStore, on disk under the machine key (main/store/roofline-store.ts:
// CPU, ISA path of the native kernels, runtime), so that it survives a reload or a restart and a
// change of machine or runtime makes it stale instead of wrong. The profile handed to the bench
// service (resultsProfile) carries the kept roofline, so every result saved after a measurement
// embeds it; benchmarks never measure one themselves.
import type { BackendAvailability, Roofline } from '../../shared/contract/api.js';
import type { MachineProfile } from '../../shared/contract/machine.js';
import { checkIsa } from '../backends/native.js';
import { tryLoadNativeAddon } from '../backends/native/addon.js';
import { detectBackends } from '../backends/registry.js';
import { gpuAdapters, type AdapterReport } from '../machine/gpu-adapters.js';
import { probeMachine } from '../machine/profile.js';
import { machineKey, type MachineKey, type NativeKernels, type RooflineStore } from '../store/roofline-store.js';
import { measureRooflineInChild } from './roofline.js';

export interface MachineServiceOptions {
  /** The machine profile (default: probeMachine()). */
  profile?: () => Promise<MachineProfile>;
  /** Backend detection (default: every backend tried in this process). */
  detectBackends?: () => Promise<BackendAvailability[]>;
  /** The roofline (default: measured in a child process with the native kernels). */
  measureRoofline?: () => Promise<Roofline>;
  /** Where measured rooflines are kept across processes (absent: in this process only). */
  rooflines?: RooflineStore;
  /** The native kernels' ISA path and build, for the machine key (default: asked of the addon; nothing is measured). */
  nativeKernels?: () => NativeKernels;
  /** The host name for the machine key (default: os.hostname()). */
  host?: string;
}

/** The native addon's default ISA path and build, or neither when it does not load or cannot run here. */
export function nativeKernels(): NativeKernels {
  const loaded = tryLoadNativeAddon();
  if ('error' in loaded) return {};
  const chosen = checkIsa(loaded.addon, undefined);
  return { ...('isa' in chosen ? { isaPath: chosen.isa } : {}), build: loaded.addon.version };
}

export class MachineService {
  private profileOnce?: Promise<MachineProfile>;
  /** The measurement under way, if any. */
  private measuring?: Promise<Roofline>;
  /** The roofline measured or found kept in this process, with the key it belongs to. */
  private kept?: { key: string; roofline: Roofline };
  /** The profile handed to the bench service, updated in place when a roofline is measured. */
  private forResults?: Promise<MachineProfile>;
  private resultsProfileObject?: MachineProfile;

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

  /** The key a roofline measured now is kept under (cheap: the profile, the addon's ISA path). */
  async machineKey(): Promise<MachineKey> {
    const profile = await this.profile();
    return machineKey(profile, (this.opts.nativeKernels ?? nativeKernels)(), this.opts.host);
  }

  /**
   * The kept roofline, never measured here: the one measured in this process, else the one kept on
   * disk under this machine's key; undefined when there is none (or only a stale one).
   */
  async keptRoofline(): Promise<Roofline | undefined> {
    const key = await this.machineKey();
    const text = JSON.stringify(key);
    if (this.kept?.key === text) return this.kept.roofline;
    const stored = this.opts.rooflines?.get(key);
    if (stored) this.kept = { key: text, roofline: stored };
    return stored;
  }

  /**
   * The roofline: the kept one when there is one for this machine key, else measured (a few
   * seconds) and kept; `fresh` measures again and replaces the kept one. A measurement already
   * under way is shared. A failed measurement keeps nothing.
   */
  async roofline(opts: { fresh?: boolean } = {}): Promise<Roofline> {
    if (!opts.fresh) {
      const kept = await this.keptRoofline();
      if (kept) return kept;
    }
    // A measurement under way is a fresh one: share it rather than load every core twice.
    return this.measuring ?? this.measure();
  }

  private measure(): Promise<Roofline> {
    const p = (async () => {
      const roofline = await (this.opts.measureRoofline ?? (() => measureRooflineInChild()))();
      const key = await this.machineKey();
      this.kept = { key: JSON.stringify(key), roofline };
      if (this.resultsProfileObject) this.resultsProfileObject.roofline = roofline;
      try {
        this.opts.rooflines?.save(key, roofline);
      } catch (e) {
        // Kept in this process all the same; after a restart it is measured again.
        console.error(`the roofline was measured but not kept: ${(e as Error).message}`);
      }
      return roofline;
    })();
    this.measuring = p;
    const done = () => {
      if (this.measuring === p) this.measuring = undefined;
    };
    p.then(done, done);
    return p;
  }

  /** The profile with the roofline attached, measured when none is kept (what `hw --roofline` prints). */
  async profileWithRoofline(): Promise<MachineProfile> {
    const [profile, roofline] = await Promise.all([this.profile(), this.roofline()]);
    return { ...profile, roofline };
  }

  /**
   * The profile every result embeds (BenchService's `machine`): the profile with the kept roofline
   * attached, never measuring one (a benchmark must not spend seconds on it unasked). The job queue
   * asks once and keeps the object it gets, so this is one object, updated in place when a roofline
   * is measured later: results saved after the measurement carry it.
   */
  resultsProfile(): Promise<MachineProfile> {
    if (!this.forResults) {
      const p = (async () => {
        // A key that cannot be made (a partial profile) or an unreadable store: no roofline, never a failed job.
        const [profile, kept] = await Promise.all([this.profile(), this.keptRoofline().catch(() => undefined)]);
        const live: MachineProfile = { ...profile };
        if (kept) live.roofline = kept;
        this.resultsProfileObject = live;
        return live;
      })();
      p.catch(() => this.forResults === p && (this.forResults = undefined));
      this.forResults = p;
    }
    return this.forResults.then(async (live) => {
      // Another process (the CLI, a second window's server) may have kept one since.
      const kept = await this.keptRoofline().catch(() => undefined);
      if (kept) live.roofline = kept;
      return live;
    });
  }
}
