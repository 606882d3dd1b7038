import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accuracyStore, labStore } from '../main/store/document-store.js';
import { ResultsStore } from '../main/store/results-store.js';
import { fakeAccuracy, fakeLab } from './helpers/fake-accuracy.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'studio-docs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('DocumentStore: saved accuracy and lab results', () => {
  it('saves into <results>/accuracy and <results>/lab with a generated id, and reads them back', () => {
    const acc = accuracyStore(dir).save(fakeAccuracy());
    expect(acc.id).toMatch(/^acc-20250602083000-[0-9a-f]{8}$/);
    expect(acc.path).toBe(join(dir, 'accuracy', `2025-06-02_${acc.id}.json`));
    const lab = labStore(dir).save(fakeLab({ id: 'my-lab' }));
    expect(lab.id).toBe('my-lab');
    expect(readdirSync(join(dir, 'lab'))).toEqual(['2025-06-02_my-lab.json']);
    expect(accuracyStore(dir).get(acc.id)).toEqual({ ...fakeAccuracy(), id: acc.id });
    expect(labStore(dir).list()).toEqual({ items: [{ ...fakeLab(), id: 'my-lab' }], problems: [] });
    // The bench store reads only the top-level files: the sub-folders do not disturb it.
    expect(new ResultsStore(dir).list()).toEqual({ results: [], problems: [] });
  });

  it('lists an empty or missing folder as empty, and reports unreadable files by name and reason', () => {
    expect(accuracyStore(dir).list()).toEqual({ items: [], problems: [] });
    mkdirSync(join(dir, 'accuracy'));
    writeFileSync(join(dir, 'accuracy', '2025-01-01_broken.json'), '{"schema": ');
    writeFileSync(join(dir, 'accuracy', '2025-01-01_lab.json'), JSON.stringify(fakeLab()));
    writeFileSync(join(dir, 'accuracy', '2025-01-01_newer.json'), JSON.stringify({ ...fakeAccuracy(), version: 9 }));
    writeFileSync(join(dir, 'accuracy', '.x.json.1.tmp'), 'half');
    accuracyStore(dir).save(fakeAccuracy({ id: 'good' }));
    const { items, problems } = accuracyStore(dir).list();
    expect(items.map((i) => i.id)).toEqual(['good']);
    expect(problems).toEqual([
      { file: '2025-01-01_broken.json', reason: expect.stringMatching(/not valid JSON/) },
      { file: '2025-01-01_lab.json', reason: expect.stringMatching(/not a Bottleneck Studio accuracy result/) },
      {
        file: '2025-01-01_newer.json',
        reason: expect.stringMatching(/newer Bottleneck Studio \(accuracy result schema v9; this one reads v1\)/),
      },
    ]);
  });

  it('refuses an invalid document and an id that cannot name a file; replaces the same id; deletes', () => {
    const store = accuracyStore(dir);
    expect(() => store.save({ ...fakeAccuracy(), accuracy: { count: 'x' } } as never)).toThrow(
      /refusing to save an invalid accuracy result: accuracy/,
    );
    expect(() => store.save(fakeAccuracy({ id: '../up' }))).toThrow(/cannot name a file/);
    store.save(fakeAccuracy({ id: 'a1' }));
    store.save(fakeAccuracy({ id: 'a1', createdAt: '2025-07-01T00:00:00.000Z' }));
    expect(readdirSync(store.dir)).toEqual(['2025-07-01_a1.json']);
    expect(store.delete('a1')).toEqual(['2025-07-01_a1.json']);
    expect(() => store.get('a1')).toThrow(/no accuracy result with id 'a1'/);
  });
});
