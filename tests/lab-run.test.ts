// runLab end to end on a synthetic, separable data set: features cached on disk, heads trained,
// the exported classifiers run by ONNX Runtime, cache hits, and a corrupt cache entry rebuilt.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { LabResultSchema } from '../shared/contract/lab.js';
import { PreprocessSchema } from '../shared/data/dataset.js';
import { StudioError } from '../shared/ir/types.js';
import { onnxMetadata, PREPROCESS_METADATA_KEY } from '../shared/lab/export.js';
import { defaultCacheDir } from '../main/lab/cache-dir.js';
import { runLab } from '../main/lab/run-lab.js';
import { syntheticDataset, syntheticOpener } from './helpers/synthetic-dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = syntheticOpener({ size: 8 });
const spec = (extra: Record<string, unknown> = {}) => ({
  data: 'synthetic',
  heads: ['gap', 'fc', 'mlp'] as ('gap' | 'fc' | 'mlp')[],
  epochs: 12,
  hidden: 16,
  cacheDir: join(dir, 'cache'),
  ...extra,
});
const accuracies = (r: { heads: { head: string; testAccuracy: number }[] }) =>
  Object.fromEntries(r.heads.map((h) => [h.head, h.testAccuracy]));

async function ortAccuracy(file: string): Promise<number> {
  const bytes = readFileSync(file);
  const preprocess = PreprocessSchema.parse(JSON.parse(onnxMetadata(bytes)[PREPROCESS_METADATA_KEY]));
  const ds = syntheticDataset('test', preprocess, undefined, { size: 8 });
  const session = await ort.InferenceSession.create(bytes);
  try {
    const b = await ds.read(0, ds.info.count);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', b.images, [b.count, 1, 8, 8]) });
    const logits = out[session.outputNames[0]].data as Float32Array;
    let correct = 0;
    for (let i = 0; i < b.count; i++) {
      const row = Array.from(logits.slice(i * 4, i * 4 + 4));
      if (row.indexOf(Math.max(...row)) === b.labels[i]) correct++;
    }
    return correct / b.count;
  } finally {
    await session.release();
  }
}

describe('lab: runLab on a synthetic data set', () => {
  let first: Awaited<ReturnType<typeof runLab>>;

  it('trains every head to ~100% on cached features and exports classifiers ORT reproduces', async () => {
    const phases = new Set<string>();
    let epochs = 0;
    first = await runLab(
      spec({ exportDir: join(dir, 'export') }),
      (p) => {
        phases.add(p.phase);
        if (p.phase === 'train') epochs++;
      },
      { openDataset: open },
    );
    expect(() => LabResultSchema.parse(first)).not.toThrow();
    expect([...phases].sort()).toEqual(['evaluate', 'export', 'features', 'open', 'train']);
    expect(first.cache.hit).toBe(false);
    expect(first.cache.missReason).toMatch(/no cache entry/);
    expect(first.cache.dir.startsWith(join(dir, 'cache'))).toBe(true);
    expect(first.base).toMatchObject({ isDefault: true, featureShape: [64, 2, 2], cut: { tensor: 'layer2/out' } });
    expect(first.data).toMatchObject({ trainImages: 288, valImages: 32 });
    expect(epochs).toBe(first.heads.reduce((s, h) => s + h.epochsRun, 0));
    for (const h of first.heads) {
      expect(h.testAccuracy, h.head).toBeGreaterThanOrEqual(0.95);
      expect(h.testAccuracy).toBe(h.testAccuracyJs);
      expect(h.testDisagreements).toBe(0);
      expect(h.exported!.path).toMatch(new RegExp(`-${h.head}\\.onnx$`));
      expect(await ortAccuracy(h.exported!.path)).toBe(h.testAccuracy);
    }
    expect(first.heads.find((h) => h.head === 'mlp')!.params).toBe(256 * 16 + 16 + 16 * 4 + 4);
    expect(first.timeSaved.epochsTrained).toBe(first.heads.reduce((s, h) => s + h.epochsRun, 0));
    expect(first.timings.baseMsPerImage).toBeGreaterThan(0);
  });

  it('hits the cache on the second run and trains the same heads', async () => {
    const second = await runLab(spec(), undefined, { openDataset: open });
    expect(second.cache).toMatchObject({ hit: true, key: first.cache.key, dir: first.cache.dir });
    expect(second.cache.missReason).toBeUndefined();
    expect(second.timings.cacheReadMs).toBeDefined();
    expect(accuracies(second)).toEqual(accuracies(first));
    expect(second.timeSaved.ms).toBe(second.timeSaved.withoutCacheMs - second.timings.cacheReadMs!);
    // Another cut, another preprocessing, another limit: another entry.
    const other = await runLab(spec({ heads: ['fc'], cut: 'layer1/out', epochs: 1 }), undefined, { openDataset: open });
    expect(other.cache.hit).toBe(false);
    expect(other.cache.key).not.toBe(first.cache.key);
    const limited = await runLab(spec({ heads: ['gap'], limit: 100, epochs: 1 }), undefined, { openDataset: open });
    expect(limited.cache.key).not.toBe(first.cache.key);
  });

  for (const [what, damage] of [
    ['a flipped byte in the features', (d: string) => flipByte(join(d, 'train.features.f32'))],
    ['a truncated labels file', (d: string) => writeFileSync(join(d, 'test.labels.i32'), Buffer.alloc(8))],
    ['a header that is not JSON', (d: string) => writeFileSync(join(d, 'header.json'), '{"schema": ')],
    [
      'a header with the wrong shape',
      (d: string) => {
        const h = JSON.parse(readFileSync(join(d, 'header.json'), 'utf8'));
        h.featureShape = [1];
        writeFileSync(join(d, 'header.json'), JSON.stringify(h));
      },
    ],
  ] as const)
    it(`discards and rebuilds a corrupt cache entry: ${what}`, async () => {
      damage(first.cache.dir);
      const r = await runLab(spec({ heads: ['gap', 'fc'] }), undefined, { openDataset: open });
      expect(r.cache.hit).toBe(false);
      expect(r.cache.missReason).toMatch(/corrupt.*deleted and rebuilt/);
      expect(accuracies(r)).toEqual({ gap: accuracies(first).gap, fc: accuracies(first).fc });
      const again = await runLab(spec({ heads: ['gap'], epochs: 1 }), undefined, { openDataset: open });
      expect(again.cache.hit).toBe(true);
    });

  it('refuses a cut tensor that does not exist, and bad settings, with clear errors', async () => {
    await expect(runLab(spec({ cut: 'nope' }), undefined, { openDataset: open })).rejects.toThrow(
      /has no tensor 'nope'.*'layer2\/out'/,
    );
    await expect(runLab(spec({ heads: ['svm'] }), undefined, { openDataset: open })).rejects.toThrow(StudioError);
    await expect(runLab(spec({ heads: ['svm'] }), undefined, { openDataset: open })).rejects.toThrow(
      /invalid lab settings: heads/,
    );
    await expect(runLab(spec({ base: 'bottleneck' }), undefined, { openDataset: open })).rejects.toThrow(
      /reads 256 channels.*channels=1/,
    );
  });

  it('puts the cache in STUDIO_CACHE_DIR, else the platform cache folder', () => {
    const saved = { ...process.env };
    try {
      process.env.STUDIO_CACHE_DIR = '/some/where';
      expect(defaultCacheDir()).toBe('/some/where');
      delete process.env.STUDIO_CACHE_DIR;
      process.env.XDG_CACHE_HOME = '/xdg';
      if (process.platform === 'linux') expect(defaultCacheDir()).toBe('/xdg/Bottleneck Studio');
    } finally {
      process.env = saved;
    }
  });
});

function flipByte(file: string): void {
  const b = readFileSync(file);
  b[Math.floor(b.length / 2)] ^= 0xff;
  writeFileSync(file, b);
}
