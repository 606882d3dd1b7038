// The measured roofline is kept (main/store/roofline-store.ts, main/services/machine.ts): one file
// per machine key in the results folder's machines/ sub-folder, used again after a restart without
// measuring, stale once the CPU, the native kernels' ISA path or the runtime changes, ignored when
// damaged; and every result saved after a measurement embeds it (machine.roofline), from the app's
// API and from the bench service the CLI drives, without a benchmark ever measuring one itself.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Roofline } from '../shared/contract/api.js';
import type { MachineProfile } from '../shared/contract/machine.js';
import type { BenchResult } from '../shared/contract/result.js';
import type { JobProcess, ProcessExit, Spawner } from '../main/process/spawner.js';
import { BenchService } from '../main/services/bench.js';
import { jobTargetOf } from '../main/services/bench-spec.js';
import { MachineService } from '../main/services/machine.js';
import { ResultsService } from '../main/services/results.js';
import { rooflineDir } from '../main/store/paths.js';
import {
  machineKey,
  machineKeyText,
  RooflineStore,
  ROOFLINE_SCHEMA,
  type NativeKernels,
} from '../main/store/roofline-store.js';
import { studioApis } from './helpers/studio-api.js';

const root = mkdtempSync(join(tmpdir(), 'roofline-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
const folder = () => join(root, `f${folders++}`);

const PROFILE: MachineProfile = {
  cpu: {
    manufacturer: 'AMD',
    brand: 'AMD EPYC 7B13',
    threads: 4,
    physicalCores: 2,
    isa: ['avx2', 'fma'],
    cache: {},
  },
  memory: { totalBytes: 16 * 2 ** 30 },
  gpus: [],
  os: { platform: 'linux', arch: 'x64' },
  versions: { node: '22.11.0', onnxruntime: '1.22.0', studio: '0.1.0' },
  probedAt: '2025-01-01T00:00:00.000Z',
};
const KERNELS: NativeKernels = { isaPath: 'avx2', build: '0.1.0' };

function roofline(peak: number, measuredAt = '2025-02-03T04:05:06.000Z'): Roofline {
  return {
    isa: 'avx2',
    threads: 2,
    peakGflops: { oneThread: peak / 2, allThreads: peak },
    triadGBps: { oneThread: 10, allThreads: 20 },
    ridgeFlopsPerByte: peak / 20,
    measuredAt,
  };
}

/** A fake measurement that counts its calls. */
function measurer(peaks: number[]) {
  let calls = 0;
  const fn = async () => {
    const peak = peaks[Math.min(calls, peaks.length - 1)];
    calls++;
    return roofline(peak, new Date(Date.UTC(2025, 1, calls)).toISOString());
  };
  return { fn, calls: () => calls };
}

function service(
  dir: string,
  o: { measure?: () => Promise<Roofline>; profile?: MachineProfile; kernels?: NativeKernels } = {},
) {
  return new MachineService({
    profile: async () => o.profile ?? PROFILE,
    measureRoofline: o.measure ?? (() => Promise.reject(new Error('must not measure'))),
    rooflines: new RooflineStore(rooflineDir(dir)),
    nativeKernels: () => o.kernels ?? KERNELS,
    host: 'bench-host',
  });
}

describe('the roofline store', () => {
  const key = machineKey(PROFILE, KERNELS, 'bench-host');

  it('keeps a roofline per machine key in the results folder, and reads it back', async () => {
    const results = folder();
    const store = new RooflineStore(rooflineDir(results));
    expect(store.get(key)).toBeUndefined();
    expect(store.find(key)).toEqual({ found: false, path: store.pathOf(key) });
    const { path } = store.save(key, roofline(100));
    expect(path.startsWith(join(results, 'machines'))).toBe(true);
    expect(readdirSync(join(results, 'machines'))).toEqual([path.split(/[\\/]/).pop()]);
    expect(store.get(key)).toEqual(roofline(100));
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    expect(doc).toMatchObject({ schema: ROOFLINE_SCHEMA, version: 1, key, roofline: roofline(100) });
    // The results listing does not take the machines/ folder for a result.
    expect((await new ResultsService(results).list()).problems).toEqual([]);
    // Saved again: replaced, still one file.
    store.save(key, roofline(200));
    expect(store.get(key)?.peakGflops.allThreads).toBe(200);
    expect(readdirSync(join(results, 'machines')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
  });

  it('changes the key, and finds nothing kept, when the CPU, the ISA path or the runtime changes', () => {
    const store = new RooflineStore(rooflineDir(folder()));
    store.save(key, roofline(100));
    const changed: [string, ReturnType<typeof machineKey>][] = [
      ['CPU model', machineKey({ ...PROFILE, cpu: { ...PROFILE.cpu, brand: 'AMD EPYC 9654' } }, KERNELS, 'bench-host')],
      ['threads', machineKey({ ...PROFILE, cpu: { ...PROFILE.cpu, threads: 8 } }, KERNELS, 'bench-host')],
      ['cores', machineKey({ ...PROFILE, cpu: { ...PROFILE.cpu, physicalCores: 4 } }, KERNELS, 'bench-host')],
      ['ISA path', machineKey(PROFILE, { ...KERNELS, isaPath: 'scalar' }, 'bench-host')],
      ['no native addon', machineKey(PROFILE, {}, 'bench-host')],
      ['addon build', machineKey(PROFILE, { ...KERNELS, build: '0.2.0' }, 'bench-host')],
      ['node', machineKey({ ...PROFILE, versions: { ...PROFILE.versions, node: '24.0.0' } }, KERNELS, 'bench-host')],
      [
        'electron',
        machineKey({ ...PROFILE, versions: { ...PROFILE.versions, electron: '37.0.0' } }, KERNELS, 'bench-host'),
      ],
      [
        'onnxruntime',
        machineKey({ ...PROFILE, versions: { ...PROFILE.versions, onnxruntime: '1.23.0' } }, KERNELS, 'bench-host'),
      ],
      ['studio', machineKey({ ...PROFILE, versions: { ...PROFILE.versions, studio: '0.2.0' } }, KERNELS, 'bench-host')],
      ['host', machineKey(PROFILE, KERNELS, 'other-host')],
    ];
    for (const [what, other] of changed) {
      expect(machineKeyText(other), what).not.toBe(machineKeyText(key));
      expect(store.get(other), what).toBeUndefined();
    }
    // What does not change the key: the probing time, the memory available now, the GPU list.
    const same = machineKey(
      { ...PROFILE, probedAt: '2030-01-01T00:00:00Z', memory: { ...PROFILE.memory, availableBytes: 1 } },
      KERNELS,
      'bench-host',
    );
    expect(store.get(same)).toEqual(roofline(100));
  });

  it('does not use a file kept under another key, even under this key’s name (stale)', () => {
    const store = new RooflineStore(rooflineDir(folder()));
    const other = machineKey(PROFILE, { ...KERNELS, isaPath: 'avx512' }, 'bench-host');
    store.save(other, roofline(300));
    mkdirSync(store.dir, { recursive: true });
    writeFileSync(store.pathOf(key), readFileSync(store.pathOf(other)));
    const found = store.find(key);
    expect(found.found).toBe(false);
    expect(!found.found && found.problem).toMatch(/another machine key \(stale\)/);
    expect(store.get(other)?.peakGflops.allThreads).toBe(300);
  });

  it('ignores a damaged or foreign file without throwing, and a new measurement replaces it', () => {
    const store = new RooflineStore(rooflineDir(folder()));
    mkdirSync(store.dir, { recursive: true });
    const path = store.pathOf(key);
    for (const [text, why] of [
      ['{"schema": "bottleneck-studio/roofline", "version": 1, "key": ', /truncated/],
      ['', /empty/],
      ['[1, 2, 3]', /not an object/],
      [JSON.stringify({ schema: 'something-else', version: 1 }), /not a Bottleneck Studio roofline/],
      [JSON.stringify({ schema: ROOFLINE_SCHEMA, version: 9, key, roofline: roofline(1) }), /newer/],
      [
        JSON.stringify({ schema: ROOFLINE_SCHEMA, version: 1, key, roofline: { isa: 'avx2' }, savedAt: 'x' }),
        /invalid roofline: roofline\./,
      ],
    ] as const) {
      writeFileSync(path, text);
      const found = store.find(key);
      expect(found.found, text).toBe(false);
      expect(!found.found && found.problem, text).toMatch(why);
      expect(store.get(key)).toBeUndefined();
    }
    // Left in place (the next save replaces it atomically).
    expect(existsSync(path)).toBe(true);
    store.save(key, roofline(50));
    expect(store.get(key)).toEqual(roofline(50));
    // A folder where the file should be: not read, not an error.
    const odd = machineKey(PROFILE, KERNELS, 'odd-host');
    mkdirSync(store.pathOf(odd));
    expect(store.find(odd)).toMatchObject({ found: false, problem: expect.stringMatching(/folder/) });
  });
});

describe('MachineService keeps the roofline', () => {
  it('returns the kept one after a restart without measuring; fresh measures again and replaces it', async () => {
    const dir = folder();
    const first = measurer([100]);
    const before = service(dir, { measure: first.fn });
    expect(await before.keptRoofline()).toBeUndefined();
    const measured = await before.roofline();
    expect(first.calls()).toBe(1);
    expect(await before.roofline()).toEqual(measured);
    expect(first.calls()).toBe(1);

    // "Restart": a new service on the same folder, whose measure function must not be called.
    const after = service(dir);
    expect(await after.keptRoofline()).toEqual(measured);
    expect(await after.roofline()).toEqual(measured);
    expect(await after.roofline({ fresh: false })).toEqual(measured);

    const again = measurer([250]);
    const remeasuring = service(dir, { measure: again.fn });
    const fresh = await remeasuring.roofline({ fresh: true });
    expect(again.calls()).toBe(1);
    expect(fresh.peakGflops.allThreads).toBe(250);
    expect(await service(dir).roofline()).toEqual(fresh);
  });

  it('measures again when the kept one is stale (another ISA path, another runtime)', async () => {
    const dir = folder();
    await service(dir, { measure: measurer([100]).fn }).roofline();
    const scalar = measurer([5]);
    const other = service(dir, { measure: scalar.fn, kernels: { ...KERNELS, isaPath: 'scalar' } });
    expect(await other.keptRoofline()).toBeUndefined();
    expect((await other.roofline()).peakGflops.allThreads).toBe(5);
    expect(scalar.calls()).toBe(1);
    const node = service(dir, { profile: { ...PROFILE, versions: { ...PROFILE.versions, node: '24.1.0' } } });
    expect(await node.keptRoofline()).toBeUndefined();
    // Both kept, each for its own key.
    expect((await service(dir).roofline()).peakGflops.allThreads).toBe(100);
  });

  it('shares a measurement under way, and keeps nothing from a failed one', async () => {
    const dir = folder();
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const svc = service(dir, {
      measure: async () => {
        calls++;
        await gate;
        return roofline(64);
      },
    });
    const a = svc.roofline();
    const b = svc.roofline({ fresh: true });
    await new Promise((r) => setTimeout(r, 10));
    release();
    expect(await a).toEqual(await b);
    expect(calls).toBe(1);

    const failing = service(folder(), { measure: () => Promise.reject(new Error('no addon')) });
    await expect(failing.roofline()).rejects.toThrow('no addon');
    expect(await failing.keptRoofline()).toBeUndefined();
  });

  it('resultsProfile carries the kept roofline, never measures, and follows a later measurement', async () => {
    const dir = folder();
    const m = measurer([100, 400]);
    const svc = service(dir, { measure: m.fn });
    const live = await svc.resultsProfile();
    expect(live.roofline).toBeUndefined();
    expect(m.calls()).toBe(0);
    await svc.roofline();
    // The same object (the job queue keeps the first one it gets), now with the roofline.
    expect(live.roofline?.peakGflops.allThreads).toBe(100);
    expect(await svc.resultsProfile()).toBe(live);
    await svc.roofline({ fresh: true });
    expect(live.roofline?.peakGflops.allThreads).toBe(400);
    // The profile itself is not changed.
    expect((await svc.profile()).roofline).toBeUndefined();
    // After a restart: attached at once.
    expect((await service(dir).resultsProfile()).roofline?.peakGflops.allThreads).toBe(400);
  });
});

/** A worker that dies at once: every job ends as a failed result, which still embeds the machine. */
const dyingSpawner: Spawner = {
  start: (): JobProcess => {
    const exited = Promise.resolve<ProcessExit>({ code: 1, signal: null });
    return { pid: undefined, send: () => {}, onMessage: () => {}, onStderr: () => {}, exited, kill: () => {} };
  },
};

describe('results carry the kept roofline', () => {
  const spec = {
    targets: [jobTargetOf('pointwise:channels=4,out=4,height=4,width=4')],
    backends: [{ backend: 'ort-cpu' as const }],
    threads: [1],
  };

  it('bench service: none kept, none measured; kept, on every result saved after the measurement', async () => {
    const dir = folder();
    const m = measurer([123]);
    const machine = service(dir, { measure: m.fn });
    const results = new ResultsService(dir);
    const bench = new BenchService({ results, spawner: dyingSpawner, machine: () => machine.resultsProfile() });

    const before = await bench.start(spec).done;
    expect(before.results.length).toBeGreaterThan(0);
    expect(m.calls()).toBe(0);
    const saved = (): BenchResult[] => results.store.load().results;
    expect(saved()).toHaveLength(before.results.length);
    expect(saved().every((r) => r.machine.roofline === undefined)).toBe(true);

    // Measured on the Hardware view while the app runs: the next run's results embed it.
    const measured = await machine.roofline();
    await bench.start(spec).done;
    const withRoofline = saved().filter((r) => r.machine.roofline);
    expect(withRoofline.length).toBeGreaterThan(0);
    for (const r of withRoofline) expect(r.machine.roofline).toEqual(measured);
    await bench.dispose();

    // A new process (the CLI) on the same results folder: attached from the first result on.
    const later = new BenchService({
      results,
      spawner: dyingSpawner,
      machine: () => service(dir).resultsProfile(),
    });
    const outcome = await later.start(spec).done;
    expect(outcome.results.length).toBeGreaterThan(0);
    for (const r of outcome.results) expect(r.machine.roofline).toEqual(measured);
    await later.dispose();
  });
});

describe('machine.roofline over the API', () => {
  const { makeApi } = studioApis('api-roofline');

  it('measure:false answers the kept one or null; a new API on the same folder uses the kept one', async () => {
    const dir = folder();
    const m = measurer([77]);
    const over = {
      resultsDir: join(dir, 'results'),
      machine: async () => PROFILE,
      measureRoofline: m.fn,
    };
    const api = makeApi(over);
    expect(await api.call('machine.roofline', { fresh: false, measure: false })).toBeNull();
    expect(m.calls()).toBe(0);
    const measured = await api.call('machine.roofline', {});
    expect(measured?.peakGflops.allThreads).toBe(77);
    expect(m.calls()).toBe(1);
    expect(readdirSync(join(dir, 'results', 'machines'))).toHaveLength(1);

    // A reload or a restart: the kept one, with no measuring.
    const restarted = makeApi({ ...over, measureRoofline: () => Promise.reject(new Error('must not measure')) });
    expect(await restarted.call('machine.roofline', { fresh: false, measure: false })).toEqual(measured);
    expect(await restarted.call('machine.roofline', { fresh: false })).toEqual(measured);
    expect(await restarted.call('machine.roofline', {})).toEqual(measured);

    // Measure again: replaced.
    const again = makeApi({ ...over, measureRoofline: measurer([99]).fn });
    expect((await again.call('machine.roofline', { fresh: true }))?.peakGflops.allThreads).toBe(99);
    expect((await makeApi(over).call('machine.roofline', { measure: false }))?.peakGflops.allThreads).toBe(99);
  });
});
