// Model files the user opened: the renderer never names a path (shared/contract/api.ts), so main
// hands out opaque handles and keeps the handle -> path map here, in memory only. Imported bytes
// (a drop or an upload) are copied into the cache folder, one sub-folder per handle, so that
// closing a model (or quitting) can delete exactly what was copied and nothing else. The web
// server never holds an upload in memory: it streams it into uploadDir() (in the same cache, so a
// rename moves it) and hands the file to importFile.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { GraphView, OpenedModel } from '../../shared/contract/api.js';
import { costGraph } from '../../shared/cost/cost-model.js';
import { viewNode, viewTensors } from '../../shared/explorer/graph-shell.js';
import { topologicalOrder } from '../../shared/graph/infer.js';
import type { Graph } from '../../shared/ir/types.js';
import { opSpec } from '../../shared/ops/registry.js';
import { readOnnxFile } from '../onnx/onnx-file.js';
import { cleanTemporaryFiles, writeFileAtomic } from '../store/atomic-write.js';
import { sanitizeFileName } from '../store/paths.js';
import { ApiError, toApiError } from './errors.js';

/** ONNX protobuf files cannot exceed 2 GiB (larger models keep their weights in external data files). */
export const MAX_MODEL_BYTES = 2 * 1024 ** 3;

/** Where the web server streams uploads before importFile moves them (inside the cache: one file system). */
export function uploadDir(cacheDir: string): string {
  return join(cacheDir, 'uploads');
}

/**
 * A new temporary file name in uploadDir, in atomic-write.ts's pattern (dot, writer pid, .tmp), so
 * that cleanUploads removes what a killed server left and never a live server's upload.
 */
export function uploadTempPath(cacheDir: string): string {
  return join(uploadDir(cacheDir), `.upload.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
}

/** Removes the uploads that a killed server left behind (its process gone, a minute old; or a day old). */
export function cleanUploads(cacheDir: string): string[] {
  return cleanTemporaryFiles(uploadDir(cacheDir));
}

/** Why an imported file of this size cannot be a model, or null. */
function sizeProblem(name: string, size: number): string | null {
  if (size === 0) return `${name} is empty (0 bytes): choose an .onnx model file`;
  if (size > MAX_MODEL_BYTES)
    return `${name} is ${(size / 1024 ** 3).toFixed(2)} GiB; an ONNX file holds at most 2 GiB (save larger models with external data and open them with the file dialog in the desktop app)`;
  return null;
}

interface OpenFile {
  path: string;
  name: string;
  /** True when the file is our copy in the cache (deleted on close); false for the user's own file. */
  imported: boolean;
  folder?: string;
}

/**
 * What the renderer gets of an opened file's graph: nodes in topological order with the attributes
 * the cost model reads, and every tensor's dtype and shape (never a weight value), from which
 * shared/explorer/graph-shell.ts graphOfView rebuilds the graph for the overlays.
 */
export function graphView(graph: Graph): GraphView {
  return {
    graphName: graph.name,
    nodes: topologicalOrder(graph).map((n) => viewNode(n, true)),
    inputs: graph.inputs.map((i) => i.name),
    outputs: graph.outputs.map((o) => o.name),
    tensors: viewTensors(graph),
  };
}

/** Operators the registry has no spec for, as the cost table names them (domain.op), each once. */
export function unknownOps(graph: Graph): string[] {
  const out = new Set<string>();
  for (const n of graph.nodes) if (!opSpec(n.op, n.domain)) out.add(n.domain ? `${n.domain}.${n.op}` : n.op);
  return [...out].sort();
}

export class ModelFiles {
  private readonly open = new Map<string, OpenFile>();
  private readonly modelsDir: string;

  constructor(cacheDir: string) {
    this.modelsDir = join(cacheDir, 'models');
  }

  /** The path behind a handle; ApiError 'not-found' when the handle is unknown or closed. */
  pathOf(fileId: string): string {
    const f = this.open.get(fileId);
    if (!f)
      throw new ApiError(
        'not-found',
        `no open model file with handle '${fileId}' (it was closed, or the app restarted): open the model again`,
      );
    return f.path;
  }

  /** Copies dropped/uploaded bytes into the cache and opens them; nothing is left behind on failure. */
  importBytes(name: string, bytes: Uint8Array): OpenedModel {
    const safe = sanitizeFileName(name);
    const tooBig = sizeProblem(safe, bytes.length);
    if (tooBig) throw new ApiError('bad-request', tooBig);
    const fileId = newHandle();
    const folder = join(this.modelsDir, fileId);
    const path = join(folder, safe);
    try {
      mkdirSync(folder, { recursive: true });
      writeFileAtomic(path, bytes);
      const model = describe(fileId, path, safe, bytes.length);
      this.open.set(fileId, { path, name: safe, imported: true, folder });
      return model;
    } catch (e) {
      rmSync(folder, { recursive: true, force: true });
      throw toApiError(e, 'files.importModel');
    }
  }

  /**
   * The web server's upload: a file it streamed into uploadDir(), moved (renamed, never copied)
   * into its handle's folder and opened. The file is consumed either way: moved, or deleted when
   * it cannot be opened, with nothing left behind.
   */
  importFile(name: string, received: string): OpenedModel {
    const safe = sanitizeFileName(name);
    const fileId = newHandle();
    const folder = join(this.modelsDir, fileId);
    const path = join(folder, safe);
    try {
      const size = statSync(received).size;
      const tooBig = sizeProblem(safe, size);
      if (tooBig) throw new ApiError('bad-request', tooBig);
      mkdirSync(folder, { recursive: true });
      renameSync(received, path);
      const model = describe(fileId, path, safe, size);
      this.open.set(fileId, { path, name: safe, imported: true, folder });
      return model;
    } catch (e) {
      rmSync(received, { force: true });
      rmSync(folder, { recursive: true, force: true });
      throw toApiError(e, 'files.importModel');
    }
  }

  /**
   * Opens a file the user chose in a native dialog, in place (the handle maps to their path). Only
   * the API's dialog handler calls this, with the dialog's answer (always absolute); nothing the
   * renderer sends reaches it (studio-api.ts filePathProblem, FileHandleSchema).
   */
  openPath(path: string): OpenedModel {
    if (typeof path !== 'string' || !isAbsolute(path))
      throw new ApiError('refused', 'a model file is opened only from the open dialog or by dropping it on the window');
    const name = basename(path);
    let size: number;
    try {
      size = statSync(path).size;
    } catch (e) {
      throw new ApiError('bad-request', `cannot open ${name}: ${(e as Error).message}`);
    }
    const fileId = newHandle();
    try {
      const model = describe(fileId, path, name, size);
      this.open.set(fileId, { path, name, imported: false });
      return model;
    } catch (e) {
      throw toApiError(e, 'files.openModelDialog');
    }
  }

  /** Forgets a handle; an imported copy is deleted, the user's own file never. */
  close(fileId: string): boolean {
    const f = this.open.get(fileId);
    if (!f) return false;
    this.open.delete(fileId);
    if (f.imported && f.folder) rmSync(f.folder, { recursive: true, force: true });
    return true;
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.close(id);
  }
}

function newHandle(): string {
  return `file-${randomBytes(12).toString('base64url')}`;
}

/** Reads, costs and summarizes a model; the reader's StudioError names the file and the problem. */
function describe(fileId: string, path: string, name: string, sizeBytes: number): OpenedModel {
  const graph = readOnnxFile(path);
  return { fileId, name, sizeBytes, cost: costGraph(graph), unknownOps: unknownOps(graph), graph: graphView(graph) };
}
