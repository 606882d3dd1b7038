// Provider detection on this machine: CPU is always there; CUDA is reported with a reason when the
// build or the machine lacks it (this suite's CI has no CUDA libraries; on a CUDA machine the
// test checks that it is available instead of assuming either way).
import { existsSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES } from '../shared/contract/job.js';
import { detectBackends, getBackend } from '../main/backends/registry.js';

const require = createRequire(import.meta.url);
const ortBin = `${dirname(require.resolve('onnxruntime-node/package.json'))}/bin/napi-v6/${process.platform}/${process.arch}`;
const hasCudaLibs = existsSync(ortBin) && readdirSync(ortBin).some((f) => f.includes('providers_cuda'));

describe('backend detection', () => {
  it('lists every backend, CPU available, each unavailable one with a reason', async () => {
    const all = await detectBackends();
    expect(all.map((a) => a.backend)).toEqual([...BACKEND_NAMES]);
    expect(all[0]).toMatchObject({ backend: 'ort-cpu', provider: 'CPUExecutionProvider', available: true });
    for (const a of all.filter((x) => !x.available)) {
      expect(a.reason?.length, a.backend).toBeGreaterThan(20);
      expect(a.kind).toMatch(/platform|not-bundled|library-missing|no-device|error/);
    }
    const cuda = all.find((a) => a.backend === 'ort-cuda')!;
    if (!hasCudaLibs) {
      expect(cuda.available).toBe(false);
      expect(cuda.reason).toMatch(/CUDA/);
      if (process.platform === 'linux') expect(cuda.reason).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    }
    if (process.platform !== 'win32')
      expect(all.find((a) => a.backend === 'ort-dml')).toMatchObject({ available: false, kind: 'platform' });
  });

  it('refuses, never falls back, when a session is asked on an unavailable provider', async () => {
    const cuda = getBackend('ort-cuda');
    if ((await cuda.detect()).available) return;
    const { graphToOnnx } = await import('../shared/onnx/writer.js');
    const { buildTarget } = await import('../shared/targets.js');
    const model = graphToOnnx(buildTarget({ target: 'pointwise', set: { height: '4', width: '4' } }));
    const config = {
      backend: 'ort-cuda' as const,
      intraOpThreads: 0,
      interOpThreads: 0,
      graphOptimization: 'all' as const,
      executionMode: 'sequential' as const,
      memoryArena: true,
      profiling: false,
    };
    await expect(cuda.createSession(model, config)).rejects.toMatchObject({
      name: 'RefusedError',
      message: expect.stringMatching(/ort-cuda is unavailable on this machine: .*CUDA/),
    });
  });
});
