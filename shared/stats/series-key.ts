// Series of results over time (issue 20): the results of one configuration measured on one machine,
// whose medians the History view charts and the regression engine (regression.ts) judges. The same
// keys are stored with every result in the database (main/store/postgres/: machine_key, series_key),
// so the database groups exactly as this module does. Pure TypeScript: the app, the CLI and the
// database store share it.
//
// What is in a key, and what is deliberately not:
// - The machine: CPU (manufacturer, model, physical cores, hardware threads), OS platform and
//   architecture, installed memory in whole GiB, and the GPUs' vendor and model. Left out: what an
//   upgrade changes (the driver, the OS release and kernel, Node, ONNX Runtime, the studio), because
//   noticing that an upgrade made a model slower is what a series is for; and what varies from probe
//   to probe (free memory, the clock the OS reports, the probe time). The result's machine profile
//   carries no host name, so two machines with the same hardware share a key.
// - The configuration: target kind, name (with the model variant) and parameters (a file's dims)
//   sorted by name; backend, and where the backend has them the native kernel path (isa: avx2 and
//   avx512 are different measurements), the GPU device number and the graphics adapter a GPU provider
//   ran on (WebGPU on a software adapter is the CPU, not the GPU); precision, batch and intra-op
//   threads. Absent optional fields are written as their defaults (isa 'auto', device 0), so results
//   saved before those fields existed stay in their series.
// A change to what is in a key splits every series: the database's stored keys then need a migration
// that recomputes them.
import type { BenchResult } from '../contract/result.js';
import type { MachineProfile } from '../contract/machine.js';
import { targetName } from './compare.js';

/** Code-point order (the same on every machine and locale). */
const byName = ([x]: [string, unknown], [y]: [string, unknown]) => (x < y ? -1 : x > y ? 1 : 0);

/** The parts of a machine's key (see the top of this file), in a fixed order. */
export function machineKeyParts(m: MachineProfile): (string | number | string[])[] {
  return [
    m.cpu.manufacturer,
    m.cpu.brand,
    m.cpu.physicalCores,
    m.cpu.threads,
    m.os.platform,
    m.os.arch,
    Math.round(m.memory.totalBytes / 2 ** 30),
    m.gpus.map((g) => `${g.vendor} ${g.model}`).sort(),
  ];
}

/** A stable key of the machine a result was measured on: equal hardware, equal key (JSON text). */
export function machineKeyOf(m: MachineProfile): string {
  return JSON.stringify(machineKeyParts(m));
}

/**
 * The series a result belongs to: machine key + target (kind, name, sorted parameters) + backend
 * (with its kernel path, device and adapter) + precision + batch + threads, as JSON text. Equal keys: the
 * same configuration on the same machine, comparable over time.
 */
export function seriesKeyOf(r: BenchResult): string {
  const t = r.job.target;
  const params = Object.entries(t.kind === 'file' ? t.dims : t.params).sort(byName);
  const be = r.job.backend;
  return JSON.stringify([
    machineKeyParts(r.machine),
    [t.kind, targetName(t), params],
    [be.backend, be.isa ?? 'auto', be.deviceId ?? 0, r.runtime?.adapter?.name ?? ''],
    r.job.precision ?? 'fp32',
    r.job.batch,
    be.intraOpThreads,
  ]);
}
