// ONNX files on disk: the Node side of shared/onnx (which only sees bytes).
// Synchronous on purpose: the CLI and the job child processes call it where nothing else is
// waiting on the event loop, and the reader's external-data callback must answer synchronously.
import { closeSync, fstatSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { StudioError, type Graph } from '../../shared/ir/types.js';
import { onnxToGraph } from '../../shared/onnx/reader.js';
import { graphToOnnx, type WriteOptions } from '../../shared/onnx/writer.js';
import { writeFileAtomic } from '../store/atomic-write.js';

export interface ReadFileOptions {
  /** Values of the model's symbolic dimensions by dim_param name; the rest become 1. */
  dims?: Record<string, number>;
}

/** A Node fs error as a message for the user ("no such file", "permission denied"). */
function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return (e as Error).message;
  }
}

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel);
}

/**
 * External data (models over 2 GB keep weights in side files) is read from files named relative
 * to the model's folder. A location that leaves that folder (an absolute path, `..`, or a symlink
 * out of it) is refused: opening a model must not read arbitrary files.
 */
function externalReader(modelPath: string) {
  const folder = dirname(resolve(modelPath));
  const model = basename(modelPath);
  return (location: string, offset: number, length: number): Uint8Array => {
    const target = resolve(folder, location);
    if (isAbsolute(location) || !inside(folder, target))
      throw new StudioError(`external data location '${location}' is outside the model's folder; refused`, 'bad-file');
    // Links are resolved and checked before the file is opened: nothing outside the folder is touched.
    let real: string;
    try {
      real = realpathSync(target);
    } catch (e) {
      throw new StudioError(`external data file '${location}' (next to ${model}): ${fsReason(e)}`, 'bad-file');
    }
    if (!inside(realpathSync(folder), real))
      throw new StudioError(
        `external data location '${location}' links outside the model's folder; refused`,
        'bad-file',
      );
    let fd: number;
    try {
      fd = openSync(real, 'r');
    } catch (e) {
      throw new StudioError(`external data file '${location}' (next to ${model}): ${fsReason(e)}`, 'bad-file');
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new StudioError(`external data location '${location}' is not a file`, 'bad-file');
      if (offset + length > st.size)
        throw new StudioError(
          `external data file '${location}' has ${st.size} bytes; the tensor needs bytes ${offset} to ${offset + length}`,
          'bad-file',
        );
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done === length ? out : out.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  };
}

/** Reads and shape-infers an .onnx file; every failure is a StudioError naming the file. */
export function readOnnxFile(path: string, opts: ReadFileOptions = {}): Graph {
  const name = basename(path);
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) throw new StudioError(`${path} is a directory, not an ONNX file`, 'bad-file');
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof StudioError) throw e;
    throw new StudioError(`cannot read ${path}: ${fsReason(e)}`, 'bad-file');
  }
  return onnxToGraph(bytes, { name, dims: opts.dims, externalData: externalReader(path) });
}

/**
 * Writes a graph as an ONNX file atomically (store/atomic-write.ts: a temporary file flushed and
 * renamed over the target), so a reader (or a crash) never sees half a model.
 */
export function writeOnnxFile(graph: Graph, path: string, opts: WriteOptions = {}): { path: string; bytes: number } {
  return writeFileAtomic(path, graphToOnnx(graph, opts));
}
