// The results folder under faults: writers killed with SIGKILL at random (seeded) moments, a full
// disk, a read-only folder, and two studio processes saving into one folder at once. Whatever
// happens, every file the stores read is a whole result, nothing saved before is lost, and the
// messages say what went wrong in words a user can act on.
//
// Leftovers of killed writers (the hidden `.<name>.<pid>.<random>.tmp` of atomic-write.ts) are
// never read (listings skip them), and the stores remove them on a later save once their writer is
// gone (cleanTemporaryFiles; see atomic-write.ts).
//
// The failing file system is simulated (vi.mock of node:fs): as root, a chmod'ed folder does not
// stop a write, and a full disk cannot be made in a test.
import * as realFs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResultSchema } from '../shared/contract/result.js';
import { seededRandom } from '../shared/random.js';
import { cleanTemporaryFiles, isTemporaryFile } from '../main/store/atomic-write.js';
import { accuracyStore } from '../main/store/document-store.js';
import { ResultsStore } from '../main/store/results-store.js';
import { fakeAccuracy } from './helpers/fake-accuracy.js';
import { fakeResult } from './helpers/fake-results.js';
import { FAULT_WRITER, type WriterMode } from './helpers/fault-writer.js';

type FsFault = { op: 'open' | 'write' | 'fsync' | 'mkdir' | 'unlink'; code: string } | undefined;
const fault = vi.hoisted(() => ({ now: undefined as FsFault }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fail = (op: string, code: string) => Object.assign(new Error(`${code}: simulated, ${op}`), { code });
  const wrapped = {
    ...fs,
    openSync: (path: realFs.PathLike, flags?: realFs.OpenMode, mode?: realFs.Mode) => {
      // Only the opening of a file for writing fails (a read-only folder can still be read).
      if (fault.now?.op === 'open' && flags === 'wx') throw fail('open', fault.now.code);
      return fs.openSync(path, flags ?? 'r', mode);
    },
    writeFileSync: (file: realFs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, ...rest: never[]) => {
      if (fault.now?.op === 'write' && typeof file === 'number') {
        // A disk that fills up half way through the write.
        const bytes = data as Uint8Array;
        fs.writeSync(file, bytes, 0, Math.floor(bytes.length / 2));
        throw fail('write', fault.now.code);
      }
      return fs.writeFileSync(file, data, ...rest);
    },
    fsyncSync: (fd: number) => {
      if (fault.now?.op === 'fsync') throw fail('fsync', fault.now.code);
      return fs.fsyncSync(fd);
    },
    mkdirSync: (path: realFs.PathLike, opts?: realFs.MakeDirectoryOptions) => {
      if (fault.now?.op === 'mkdir') throw fail('mkdir', fault.now.code);
      return fs.mkdirSync(path, opts);
    },
    unlinkSync: (path: realFs.PathLike) => {
      // Removing a result from a read-only folder; the clean-up of a temporary file still works.
      if (fault.now?.op === 'unlink' && !String(path).endsWith('.tmp')) throw fail('unlink', fault.now.code);
      return fs.unlinkSync(path);
    },
  };
  return { ...wrapped, default: wrapped };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'studio-faults-'));
  fault.now = undefined;
});
afterEach(() => {
  fault.now = undefined;
  rmSync(dir, { recursive: true, force: true });
});

// The writer is bundled once into plain JavaScript: a process started with tsx takes a second or two
// to start on a busy machine, a bundle a tenth of that, and the test starts 50 of them.
let bundleDir: string;
let writerJs: string;
beforeAll(() => {
  bundleDir = mkdtempSync(join(tmpdir(), 'studio-fault-writer-'));
  writerJs = join(bundleDir, 'fault-writer.mjs');
  buildSync({
    entryPoints: [FAULT_WRITER],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: writerJs,
    logLevel: 'error',
  });
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

interface Writer {
  child: ChildProcess;
  saved: string[];
  ready: Promise<void>;
  /** Resolves once one save has completed. */
  first: Promise<void>;
  exited: Promise<{ code: number | null; signal: string | null }>;
  stderr: () => string;
}

/** Starts tests/helpers/fault-writer.ts (bundled) in its own process group. */
function startWriter(mode: WriterMode, folder: string, prefix: string, count: number, startAt = 0, shared = 0): Writer {
  const child = spawn(
    process.execPath,
    [writerJs, mode, folder, prefix, String(count), String(startAt), String(shared)],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const saved: string[] = [];
  let err = '';
  let buffer = '';
  let onReady: () => void;
  let onFirst: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const first = new Promise<void>((r) => (onFirst = r));
  child.stdout!.setEncoding('utf8').on('data', (t: string) => {
    buffer += t;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const l of lines) {
      if (l === 'ready') onReady();
      else if (l.startsWith('saved ')) {
        saved.push(l.slice(6));
        onFirst();
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (err += t));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('close', (code, signal) => {
      onReady();
      onFirst();
      resolve({ code, signal });
    }),
  );
  return { child, saved, ready, first, exited, stderr: () => err };
}

const killGroup = (w: Writer) => {
  try {
    process.kill(-w.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
};

/** Every visible file in `folder` parses as JSON: no half-written file is ever visible. */
function visibleFilesParse(folder: string): number {
  const files = readdirSync(folder).filter((f) => f.endsWith('.json') && !isTemporaryFile(f));
  for (const f of files) expect(() => JSON.parse(readFileSync(join(folder, f), 'utf8')), f).not.toThrow();
  return files.length;
}

describe('writers killed with SIGKILL at random moments', () => {
  it('40 seeded rounds: every saved result parses, no completed save is lost, leftovers are never read', async () => {
    const rand = seededRandom(20250609);
    const store = new ResultsStore(dir);
    const completed = new Set<string>();
    let leftovers = 0;
    let killedMidSave = 0;
    for (let round = 0; round < 40; round++) {
      const w = startWriter('results', dir, `k${round}`, 0);
      await w.first;
      // Killed at a random moment within its next few saves (about 20-30 ms each here).
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 100)));
      killGroup(w);
      const exit = await w.exited;
      expect(exit.signal, w.stderr()).toBe('SIGKILL');
      for (const id of w.saved) completed.add(id);

      const files = visibleFilesParse(dir);
      const { results, problems } = store.list();
      expect(problems).toEqual([]);
      expect(results).toHaveLength(files);
      // Every save that returned before the kill is there; one more may be (killed after its rename).
      const ids = new Set(results.map((r) => r.id));
      for (const id of completed) expect(ids.has(id), id).toBe(true);
      expect(results.length - completed.size).toBeLessThanOrEqual(round + 1);
      const tmp = readdirSync(dir).filter(isTemporaryFile).length;
      if (tmp > leftovers) killedMidSave++;
      leftovers = tmp;
    }
    expect(completed.size).toBeGreaterThan(40);
    // Some kills landed between a temporary file's creation and its rename (seeded: the same each run
    // on one machine, but timing differs between machines, so only "some" is asserted).
    console.log(`${completed.size} saves completed in 40 rounds; ${killedMidSave} rounds killed a writer mid-save`);
    for (const r of store.load().results) expect(() => ResultSchema.parse(r)).not.toThrow();

    // The leftovers of killed writers: removed once their writer is gone (a minute old in real use).
    const removed = cleanTemporaryFiles(dir, { staleAfterMs: 0 });
    expect(removed).toHaveLength(leftovers);
    expect(readdirSync(dir).filter((f) => !f.endsWith('.json'))).toEqual([]);
    expect(store.list().problems).toEqual([]);
  }, 120_000);

  it('the document store keeps the same guarantees (10 rounds)', async () => {
    const rand = seededRandom(7);
    const store = accuracyStore(dir);
    const completed = new Set<string>();
    for (let round = 0; round < 10; round++) {
      const w = startWriter('documents', dir, `d${round}`, 0);
      await w.first;
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 60)));
      killGroup(w);
      expect((await w.exited).signal, w.stderr()).toBe('SIGKILL');
      for (const id of w.saved) completed.add(id);
      visibleFilesParse(store.dir);
      const { items, problems } = store.list();
      expect(problems).toEqual([]);
      const ids = new Set(items.map((d) => d.id));
      for (const id of completed) expect(ids.has(id), id).toBe(true);
    }
    expect(completed.size).toBeGreaterThan(10);
    cleanTemporaryFiles(store.dir, { staleAfterMs: 0 });
    expect(readdirSync(store.dir).filter((f) => !f.endsWith('.json'))).toEqual([]);
  }, 60_000);

  it("cleans only a dead writer's stale leftovers; a live writer's temporary file is kept", () => {
    const store = new ResultsStore(dir);
    store.save(fakeResult({ id: 'kept' }));
    const dead = `.2025-06-01_x.json.${2 ** 22 + 12345}.abc.tmp`; // above Linux's pid_max default
    const live = `.2025-06-01_y.json.${process.pid}.abc.tmp`;
    const liveOther = `.2025-06-01_z.json.${process.ppid}.abc.tmp`;
    for (const f of [dead, live, liveOther]) writeFileSync(join(dir, f), '{"half');
    expect(store.list()).toEqual({ results: [expect.objectContaining({ id: 'kept' })], problems: [] });
    // Fresh: nothing is removed (a writer may be in the middle of its save).
    expect(cleanTemporaryFiles(dir)).toEqual([]);
    const old = (Date.now() - 120_000) / 1000;
    for (const f of [dead, live, liveOther]) utimesSync(join(dir, f), old, old);
    // A minute old: the dead writer's and this (synchronous, so finished) process's; not the parent's.
    expect(cleanTemporaryFiles(dir).sort()).toEqual([dead, live].sort());
    // A day old: removed whoever wrote it.
    expect(cleanTemporaryFiles(dir, { now: Date.now() + 2 * 86_400_000 })).toEqual([liveOther]);
    expect(readdirSync(dir)).toEqual(['2025-06-01_kept.json']);
  });
});

describe('a failing file system', () => {
  const cases = [
    {
      name: 'a full disk (ENOSPC, half way through the write)',
      op: 'write',
      code: 'ENOSPC',
      why: /no space left on the device \(free some space/,
    },
    { name: 'a disk quota used up (EDQUOT)', op: 'write', code: 'EDQUOT', why: /the disk quota is used up/ },
    {
      name: 'a read-only folder (EACCES)',
      op: 'open',
      code: 'EACCES',
      why: /permission denied \(the folder is not writable for this user/,
    },
    { name: 'a read-only folder (EPERM)', op: 'open', code: 'EPERM', why: /permission denied/ },
    { name: 'a read-only file system (EROFS)', op: 'open', code: 'EROFS', why: /the file system is read-only/ },
    { name: 'a disk error on flush (EIO)', op: 'fsync', code: 'EIO', why: /an input\/output error on the disk/ },
  ] as const;

  it.each(cases)('$name: a clear message, nothing half-written, earlier results intact', ({ op, code, why }) => {
    const store = new ResultsStore(dir);
    const kept = fakeResult({ id: 'kept', medianMs: 1 });
    store.save(kept);
    const before = readFileSync(join(dir, '2025-06-01_kept.json'), 'utf8');

    fault.now = { op, code };
    let message = '';
    try {
      store.save(fakeResult({ id: 'new' }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^result 'new' was not saved: cannot write .*2025-06-01_new\.json: /);
    expect(message).toMatch(why);
    expect(message).toMatch(/the results saved before are unchanged$/);
    // Replacing a saved result fails the same way and keeps the old one, byte for byte.
    expect(() => store.save(fakeResult({ id: 'kept', medianMs: 5 }))).toThrow(why);
    // Reading still works while writing does not.
    expect(store.list()).toEqual({ results: [expect.objectContaining({ id: 'kept' })], problems: [] });
    fault.now = undefined;

    expect(readdirSync(dir)).toEqual(['2025-06-01_kept.json']);
    expect(readFileSync(join(dir, '2025-06-01_kept.json'), 'utf8')).toBe(before);
    expect(store.get('kept')).toEqual(kept);
    // Once the disk has room again, saving works.
    store.save(fakeResult({ id: 'new' }));
    expect(
      store
        .list()
        .results.map((r) => r.id)
        .sort(),
    ).toEqual(['kept', 'new']);
  });

  it('deleting from a read-only folder says so and keeps the result', () => {
    const store = new ResultsStore(dir);
    store.save(fakeResult({ id: 'kept' }));
    fault.now = { op: 'unlink', code: 'EROFS' };
    expect(() => store.delete('kept')).toThrow(/cannot delete 2025-06-01_kept\.json: the file system is read-only/);
    fault.now = undefined;
    expect(store.get('kept').id).toBe('kept');
  });

  it('the document store: full disk and read-only folder, with earlier documents intact', () => {
    const store = accuracyStore(dir);
    store.save(fakeAccuracy({ id: 'a1' }));
    const before = readFileSync(join(store.dir, '2025-06-02_a1.json'), 'utf8');
    fault.now = { op: 'write', code: 'ENOSPC' };
    expect(() => store.save(fakeAccuracy({ id: 'a2' }))).toThrow(
      /^accuracy result 'a2' was not saved: cannot write .*a2\.json: no space left on the device.*the accuracy results saved before are unchanged$/,
    );
    fault.now = { op: 'open', code: 'EROFS' };
    expect(() => store.save(fakeAccuracy({ id: 'a1', seed: 9 }))).toThrow(/the file system is read-only/);
    fault.now = undefined;
    expect(readdirSync(store.dir)).toEqual(['2025-06-02_a1.json']);
    expect(readFileSync(join(store.dir, '2025-06-02_a1.json'), 'utf8')).toBe(before);
    expect(store.list().items.map((d) => d.id)).toEqual(['a1']);

    // A read-only results folder where the lab/ sub-folder does not exist yet.
    fault.now = { op: 'mkdir', code: 'EROFS' };
    expect(() => accuracyStore(join(dir, 'other')).save(fakeAccuracy())).toThrow(
      /cannot use .*other\/accuracy for accuracy results: the file system is read-only/,
    );
  });
});

describe('two studio processes saving into one results folder', () => {
  it('200 results each at the same time: all 400 whole, unique ids, none lost; shared ids stay whole', async () => {
    const startAt = Date.now() + 2500;
    const [a, b] = [
      startWriter('results', dir, 'a', 200, startAt, 5),
      startWriter('results', dir, 'b', 200, startAt, 5),
    ];
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect(ea, a.stderr()).toEqual({ code: 0, signal: null });
    expect(eb, b.stderr()).toEqual({ code: 0, signal: null });
    const own = (w: Writer) => w.saved.filter((id) => !id.startsWith('shared-'));
    expect(own(a)).toHaveLength(200);
    expect(own(b)).toHaveLength(200);

    const store = new ResultsStore(dir);
    const { results, problems } = store.list();
    expect(problems).toEqual([]);
    const ids = results.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [...own(a), ...own(b)]) expect(ids, id).toContain(id);
    // Both wrote shared-0..4 (replacing each other's): each exists once, whole.
    expect(ids.filter((id) => id.startsWith('shared-')).sort()).toEqual([
      'shared-0',
      'shared-1',
      'shared-2',
      'shared-3',
      'shared-4',
    ]);
    expect(results).toHaveLength(405);
    expect(visibleFilesParse(dir)).toBe(405);
    for (const r of store.load().results) expect(() => ResultSchema.parse(r)).not.toThrow();
    expect(readdirSync(dir).filter(isTemporaryFile)).toEqual([]);
  }, 60_000);
});
