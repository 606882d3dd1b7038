// A save interrupted at the worst moments: the file system is wrapped so that a write can stop
// half way (disk full), or the process can "die" just before the rename (an exception there, with
// no clean-up either, is what a kill leaves behind). Saved results must survive every case.
import * as realFs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResultsStore } from '../main/store/results-store.js';
import { exportReport } from '../main/reports/index.js';
import { fakeResult } from './helpers/fake-results.js';

const fault = vi.hoisted(() => ({ mode: undefined as undefined | 'before-rename' | 'disk-full' | 'killed' }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const error = (message: string, code: string) => Object.assign(new Error(message), { code });
  const wrapped = {
    ...fs,
    writeFileSync: (file: realFs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, ...rest: never[]) => {
      if (fault.mode === 'disk-full' && typeof file === 'number') {
        const bytes = data as Uint8Array;
        fs.writeSync(file, bytes, 0, Math.floor(bytes.length / 2));
        throw error('ENOSPC: no space left on device, write', 'ENOSPC');
      }
      return fs.writeFileSync(file, data, ...rest);
    },
    renameSync: (from: realFs.PathLike, to: realFs.PathLike) => {
      if (fault.mode === 'before-rename' || fault.mode === 'killed') throw error('interrupted before rename', 'EINTR');
      return fs.renameSync(from, to);
    },
    unlinkSync: (path: realFs.PathLike) => {
      // A killed process cleans nothing up: its temporary file stays behind.
      if (fault.mode === 'killed') throw error('the process is gone', 'EINTR');
      return fs.unlinkSync(path);
    },
  };
  return { ...wrapped, default: wrapped };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'studio-atomic-'));
  fault.mode = undefined;
});
afterEach(() => {
  fault.mode = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('atomic saves', () => {
  it.each(['before-rename', 'disk-full'] as const)(
    'an interrupted save (%s) leaves no partial file and the saved results intact',
    (mode) => {
      const store = new ResultsStore(dir);
      const kept = fakeResult({ id: 'kept', medianMs: 1 });
      store.save(kept);
      const before = readFileSync(join(dir, '2025-06-01_kept.json'), 'utf8');

      fault.mode = mode;
      expect(() => store.save(fakeResult({ id: 'new' }))).toThrow(
        mode === 'disk-full' ? /cannot write .*new\.json: no space left on the device/ : /cannot write .*new\.json/,
      );
      // Replacing an existing result that fails half way keeps the old one, byte for byte.
      expect(() => store.save(fakeResult({ id: 'kept', medianMs: 5 }))).toThrow(/cannot write/);
      fault.mode = undefined;

      expect(readdirSync(dir)).toEqual(['2025-06-01_kept.json']);
      expect(readFileSync(join(dir, '2025-06-01_kept.json'), 'utf8')).toBe(before);
      expect(store.list()).toEqual({ results: [expect.objectContaining({ id: 'kept' })], problems: [] });
      expect(store.get('kept')).toEqual(kept);
    },
  );

  it('a process killed mid-save leaves only a hidden temporary file, which listings ignore', () => {
    const store = new ResultsStore(dir);
    store.save(fakeResult({ id: 'kept' }));
    fault.mode = 'killed';
    expect(() => store.save(fakeResult({ id: 'lost' }))).toThrow(/cannot write/);
    fault.mode = undefined;
    const files = readdirSync(dir);
    expect(files).toHaveLength(2);
    expect(files.filter((f) => f.endsWith('.tmp'))).toHaveLength(1);
    expect(store.list()).toEqual({ results: [expect.objectContaining({ id: 'kept' })], problems: [] });
    expect(() => store.get('lost')).toThrow(/no result with id 'lost'/);
    // and the next save of the same id works
    store.save(fakeResult({ id: 'lost' }));
    expect(store.get('lost').id).toBe('lost');
  });

  it('an export interrupted before its rename leaves the previous report in place', () => {
    const path = join(dir, 'report.csv');
    exportReport([fakeResult({ id: 'one' })], path);
    const before = readFileSync(path, 'utf8');
    fault.mode = 'before-rename';
    expect(() => exportReport([fakeResult({ id: 'two' })], path)).toThrow(/cannot write .*report\.csv/);
    fault.mode = undefined;
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['report.csv']);
  });
});
