// Measured rooflines, kept: measuring one takes a few seconds of every core, so the studio measures
// it when asked and keeps it, and every result saved afterwards embeds it (machine.roofline).
//
// One JSON file per machine key in the results folder's machines/ sub-folder (paths.ts
// rooflineDir), written atomically. The key names what the figures depend on: the machine (host,
// CPU model, cores and threads, architecture, installed memory), the ISA path the native kernels
// take, and the runtime (studio, Node, Electron, ONNX Runtime, native addon build). When any of
// those changes the key changes, and a roofline kept under another key is never used (it is stale:
// measure again). The file name is a hash of the key and the key is stored inside and compared on
// read, so a renamed or copied file is not taken for this machine's. A file that cannot be read,
// is not JSON or does not match the schema is ignored (left in place, replaced by the next
// measurement), never an error.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { MachineProfileSchema, type MachineProfile } from '../../shared/contract/machine.js';
import { saveDocumentFile, sweepTemporaryFiles } from './atomic-write.js';
import { checkEnvelope, describeIssues, parseJson, readTextFile, toJsonText } from './result-check.js';

export const ROOFLINE_SCHEMA = 'bottleneck-studio/roofline';
export const ROOFLINE_SCHEMA_VERSION = 1;
/** A kept roofline is a few hundred bytes; anything far larger is not one. */
const MAX_ROOFLINE_FILE_BYTES = 256 * 1024;

export const RooflineSchema = MachineProfileSchema.shape.roofline.unwrap();
export type Roofline = z.infer<typeof RooflineSchema>;

export const MachineKeySchema = z.object({
  /** The host name: several machines saving into one (shared) results folder keep one roofline each. */
  host: z.string(),
  cpu: z.object({
    manufacturer: z.string(),
    brand: z.string(),
    physicalCores: z.number().int(),
    threads: z.number().int(),
    arch: z.string(),
  }),
  /** Installed memory in whole GiB: the triad's bandwidth depends on the memory fitted. */
  memoryGiB: z.number().int(),
  /** The ISA path the native kernels take here (STUDIO_NATIVE_ISA included); 'none' without the addon. */
  isaPath: z.string(),
  runtime: z.object({
    studio: z.string(),
    node: z.string(),
    electron: z.string().optional(),
    onnxruntime: z.string().optional(),
    /** The native addon's build (its version), when it loads. */
    native: z.string().optional(),
  }),
});
export type MachineKey = z.infer<typeof MachineKeySchema>;

/** What the native kernels say about themselves, without measuring anything. */
export interface NativeKernels {
  /** The ISA path a session gets by default (undefined: the addon does not load or cannot run here). */
  isaPath?: string;
  /** The addon's build (NativeAddon.version). */
  build?: string;
}

/** The key a roofline measured now, on this machine, with this runtime, is kept under. */
export function machineKey(profile: MachineProfile, kernels: NativeKernels, host = os.hostname()): MachineKey {
  const v = profile.versions;
  return {
    host,
    cpu: {
      manufacturer: profile.cpu.manufacturer,
      brand: profile.cpu.brand,
      physicalCores: profile.cpu.physicalCores,
      threads: profile.cpu.threads,
      arch: profile.os.arch,
    },
    memoryGiB: Math.round(profile.memory.totalBytes / 2 ** 30),
    isaPath: kernels.isaPath ?? 'none',
    runtime: {
      studio: v.studio,
      node: v.node,
      ...(v.electron !== undefined ? { electron: v.electron } : {}),
      ...(v.onnxruntime !== undefined ? { onnxruntime: v.onnxruntime } : {}),
      ...(kernels.build !== undefined ? { native: kernels.build } : {}),
    },
  };
}

/** The key as canonical text (fields in one fixed order, absent ones left out): equal keys, equal text. */
export function machineKeyText(k: MachineKey): string {
  const r = k.runtime;
  return JSON.stringify([
    k.host,
    k.cpu.manufacturer,
    k.cpu.brand,
    k.cpu.physicalCores,
    k.cpu.threads,
    k.cpu.arch,
    k.memoryGiB,
    k.isaPath,
    r.studio,
    r.node,
    r.electron ?? null,
    r.onnxruntime ?? null,
    r.native ?? null,
  ]);
}

/** 16 hex digits of the key's hash: the kept file's name. */
export function machineKeyId(k: MachineKey): string {
  return createHash('sha256').update(machineKeyText(k)).digest('hex').slice(0, 16);
}

const RooflineFileSchema = z.object({
  schema: z.literal(ROOFLINE_SCHEMA),
  version: z.literal(ROOFLINE_SCHEMA_VERSION),
  key: MachineKeySchema,
  roofline: RooflineSchema,
  savedAt: z.string(),
});

export type KeptRoofline =
  | { found: true; roofline: Roofline; path: string }
  /** `problem`: a file was there but not usable (unreadable, invalid, or kept under another key). */
  | { found: false; path: string; problem?: string };

export class RooflineStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** The file a roofline kept under this key lives in. */
  pathOf(key: MachineKey): string {
    return join(this.dir, `roofline-${machineKeyId(key)}.json`);
  }

  /** The roofline kept under this key, or why there is none; never throws. */
  find(key: MachineKey): KeptRoofline {
    const path = this.pathOf(key);
    const text = readTextFile(path, MAX_ROOFLINE_FILE_BYTES, 'roofline file');
    if (!text.ok)
      return text.reason === 'no such file' ? { found: false, path } : { found: false, path, problem: text.reason };
    const json = parseJson(text.value);
    if (!json.ok) return { found: false, path, problem: json.reason };
    const envelope = checkEnvelope(json.value, ROOFLINE_SCHEMA, ROOFLINE_SCHEMA_VERSION, 'roofline');
    if (envelope) return { found: false, path, problem: envelope };
    const parsed = RooflineFileSchema.safeParse(json.value);
    if (!parsed.success) return { found: false, path, problem: `invalid roofline: ${describeIssues(parsed.error)}` };
    if (machineKeyText(parsed.data.key) !== machineKeyText(key))
      return { found: false, path, problem: 'kept for another machine key (stale): measure again' };
    return { found: true, roofline: parsed.data.roofline, path };
  }

  /** The roofline kept under this key, or undefined (none, stale or unreadable). */
  get(key: MachineKey): Roofline | undefined {
    const kept = this.find(key);
    return kept.found ? kept.roofline : undefined;
  }

  /** Keeps a roofline under this key, replacing the one kept before (atomically); throws a StudioError when it cannot. */
  save(key: MachineKey, roofline: Roofline): { path: string } {
    const checked = RooflineSchema.parse(roofline);
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch {
      // saveDocumentFile reports the folder's problem in words
    }
    const doc = {
      schema: ROOFLINE_SCHEMA,
      version: ROOFLINE_SCHEMA_VERSION,
      key: MachineKeySchema.parse(key),
      roofline: checked,
      savedAt: new Date().toISOString(),
    };
    const saved = saveDocumentFile(this.pathOf(key), toJsonText(doc), 'roofline', machineKeyId(key));
    sweepTemporaryFiles(this.dir);
    return saved;
  }
}
