// Model files travel by content hash (docs/FLEET.md "Security"): the enqueuer stores a file's bytes
// under their SHA-256 in fleet.blobs (in chunks, under a size limit); an agent downloads them into a
// local cache named by the hash, hashes what it received, and runs only a file whose hash it
// verified. A cached file is hashed again before each use: a cache someone changed is a mismatch too.
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  writeSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../shared/ir/types.js';
import { RefusedJobError, type ModelRef } from './contract.js';
import type { FleetDb } from './db.js';

/** Bytes per stored chunk. */
export const CHUNK_BYTES = 4 * 2 ** 20;

/** A file's SHA-256 (hex) and size, read as a stream. */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Stores a file as a blob (nothing is sent when a complete blob of that hash is already there) and
 * returns its reference. A file over `maxBytes` is refused before anything is sent.
 */
export async function uploadBlob(db: FleetDb, path: string, name: string, maxBytes: number): Promise<ModelRef> {
  const size = statSync(path).size;
  if (size > maxBytes)
    throw new StudioError(
      `the model ${name} is ${size} bytes, over the fleet's limit of ${maxBytes} bytes (--max-model-bytes)`,
      'bad-parameter',
    );
  const { sha256, bytes } = await hashFile(path);
  const ref: ModelRef = { sha256, bytes, name };
  const have = await db.query(`SELECT 1 FROM fleet.blobs WHERE sha256 = $1`, [sha256]);
  if (have.rowCount) return ref;
  await db.tx(async (c) => {
    const chunks = Math.ceil(bytes / CHUNK_BYTES);
    const inserted = await c.query(
      `INSERT INTO fleet.blobs (sha256, size, chunks) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [sha256, bytes, chunks],
    );
    if (!inserted.rowCount) return; // stored meanwhile by another enqueuer
    let idx = 0;
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES }))
      await c.query(`INSERT INTO fleet.blob_chunks (sha256, idx, bytes) VALUES ($1, $2, $3)`, [sha256, idx++, chunk]);
  });
  return ref;
}

/** The cached file of a model, or undefined when not cached (or the cached copy no longer matches). */
async function cached(cacheDir: string, ref: ModelRef): Promise<string | undefined> {
  const path = join(cacheDir, `${ref.sha256}.onnx`);
  if (!existsSync(path)) return undefined;
  const { sha256 } = await hashFile(path);
  if (sha256 === ref.sha256) return path;
  rmSync(path, { force: true });
  return undefined;
}

/**
 * The model's local file, downloaded into the cache if needed and verified: its bytes hash to
 * ref.sha256 and there are no more than `maxBytes` of them. Anything else is refused (RefusedJobError)
 * naming the hash, and nothing is left in the cache.
 */
export async function fetchBlob(db: FleetDb, cacheDir: string, ref: ModelRef, maxBytes: number): Promise<string> {
  mkdirSync(cacheDir, { recursive: true });
  const hit = await cached(cacheDir, ref);
  if (hit) return hit;
  const { rows } = await db.query<{ size: string; chunks: number }>(
    `SELECT size, chunks FROM fleet.blobs WHERE sha256 = $1`,
    [ref.sha256],
  );
  if (!rows.length) throw new RefusedJobError(`the model ${ref.name} (sha256 ${ref.sha256}) is not in fleet.blobs`);
  const size = Number(rows[0].size);
  if (size > maxBytes || ref.bytes > maxBytes)
    throw new RefusedJobError(
      `the model ${ref.name} is ${Math.max(size, ref.bytes)} bytes, over this agent's limit of ${maxBytes} bytes`,
    );
  const tmp = join(cacheDir, `.${ref.sha256}.${randomBytes(4).toString('hex')}.part`);
  const hash = createHash('sha256');
  let received = 0;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    for (let idx = 0; idx < rows[0].chunks; idx++) {
      const c = await db.query<{ bytes: Buffer }>(
        `SELECT bytes FROM fleet.blob_chunks WHERE sha256 = $1 AND idx = $2`,
        [ref.sha256, idx],
      );
      if (!c.rows.length)
        throw new RefusedJobError(`the model ${ref.name} (sha256 ${ref.sha256}) is missing chunk ${idx}`);
      const chunk = c.rows[0].bytes;
      received += chunk.length;
      if (received > maxBytes)
        throw new RefusedJobError(`the model ${ref.name} is over this agent's limit of ${maxBytes} bytes`);
      hash.update(chunk);
      writeSync(fd, chunk);
    }
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  const got = hash.digest('hex');
  if (got !== ref.sha256 || received !== ref.bytes) {
    rmSync(tmp, { force: true });
    throw new RefusedJobError(
      `model bytes do not match hash ${ref.sha256} (${ref.name}: received ${received} bytes hashing to ${got}, expected ${ref.bytes} bytes)`,
    );
  }
  const path = join(cacheDir, `${ref.sha256}.onnx`);
  renameSync(tmp, path);
  return path;
}
