// ONNX Runtime's WebGPU provider on this machine's Vulkan device (lavapipe, a software device that
// runs on the CPU, where there is no GPU: scripts/ensure-vulkan.mjs installs it). Detection through
// the backend's probe, agreement with the CPU provider on catalog blocks at small sizes, and a
// CPU-vs-WebGPU bench through the CLI whose WebGPU result says when its figures are not GPU speed.
// Without a Vulkan device each test is listed as skipped with the reason (tests/helpers/vulkan.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { buildTarget } from '../shared/targets.js';
import { SOFTWARE_ADAPTER_LABEL } from '../shared/hardware/adapters.js';
import { getBackend } from '../main/backends/registry.js';
import { ensureXdgRuntimeDir } from '../main/backends/ort/runtime.js';
import { makeInputs } from '../main/backends/inputs.js';
import { allClose, testBackendConfig } from './helpers/ort.js';
import { cli } from './helpers/cli.js';
import { gpuIt, vulkan } from './helpers/vulkan.js';

const tmp = mkdtempSync(join(tmpdir(), 'studio-gpu-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = testBackendConfig;

type Named = { runNamed(i: ReturnType<typeof makeInputs>): Promise<Record<string, { data: Float32Array }>> };

/** Runs a catalog target on ort-cpu and ort-webgpu with the same seeded inputs; outputs by name. */
async function bothProviders(target: string, set: Record<string, string>) {
  const graph = buildTarget({ target, set });
  const model = graphToOnnx(graph);
  const inputs = makeInputs(graph, 7);
  const out: Record<string, Record<string, { data: Float32Array }>> = {};
  for (const name of ['ort-cpu', 'ort-webgpu'] as const) {
    const session = await getBackend(name).createSession(model, config(name));
    try {
      out[name] = await (session as unknown as Named).runNamed(inputs);
    } finally {
      await session.release();
    }
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('Vulkan device for the GPU tests', () => {
  it('is present, or the GPU tests below say they are skipped and why', () => {
    if (!vulkan.ok) console.warn(`GPU tests skipped: ${vulkan.reason}`);
    expect(vulkan.ok ? vulkan.devices.length : vulkan.reason.length).toBeGreaterThan(0);
  });
});

describe('WebGPU (ONNX Runtime) on this machine', () => {
  it('gives the process a private XDG_RUNTIME_DIR when it has none', () => {
    const dir = ensureXdgRuntimeDir();
    if (process.platform !== 'linux') return expect(dir).toBeUndefined();
    expect(process.env.XDG_RUNTIME_DIR).toBe(dir);
  });

  gpuIt('is available through the probe, on the adapter it names', async () => {
    const av = await getBackend('ort-webgpu').detect();
    expect(av, av.reason).toMatchObject({
      backend: 'ort-webgpu',
      provider: 'WebGpuExecutionProvider',
      available: true,
    });
    expect(av.adapter?.source).toBe('vulkan');
    if (/llvmpipe|lavapipe/i.test(av.adapter!.name)) expect(av.adapter).toMatchObject({ type: 'cpu', software: true });
  });

  gpuIt('agrees with the CPU provider on a 64->64 3x3 convolution at 56x56', async () => {
    const out = await bothProviders('conv', { height: '56', width: '56', channels: '64', out: '64', kernel: '3' });
    const [name] = Object.keys(out['ort-cpu']);
    const cpu = out['ort-cpu'][name].data;
    const gpu = out['ort-webgpu'][name].data;
    expect(gpu.length).toBe(56 * 56 * 64);
    const diff = maxAbsDiff(gpu, cpu);
    console.info(`conv 64->64 3x3 56x56: max |WebGPU - CPU| = ${diff.toExponential(2)}`);
    const check = allClose(gpu, cpu, 1e-3, 1e-4);
    expect(check.ok, JSON.stringify(check.worst)).toBe(true);
  });

  const blocks: [string, Record<string, string>][] = [
    ['bottleneck', { height: '8', width: '8', channels: '32', mid: '8', out: '32' }],
    ['separable', { height: '9', width: '9', channels: '16', out: '24' }],
    ['inverted-residual', { height: '10', width: '10', channels: '8', out: '8' }],
    ['head-gap', { height: '3', width: '3', channels: '32', classes: '10' }],
  ];
  for (const [target, set] of blocks)
    gpuIt(`agrees with the CPU provider on ${target} (rtol 1e-3, atol 1e-4)`, async () => {
      const out = await bothProviders(target, set);
      const names = Object.keys(out['ort-cpu']);
      expect(Object.keys(out['ort-webgpu'])).toEqual(names);
      for (const n of names) {
        const check = allClose(out['ort-webgpu'][n].data, out['ort-cpu'][n].data, 1e-3, 1e-4);
        expect(check.ok, `${target} output ${n}: ${JSON.stringify(check.worst)}`).toBe(true);
      }
    });

  gpuIt('benches pointwise on ort-cpu and ort-webgpu side by side through the CLI', () => {
    const r = cli([
      'bench',
      'pointwise',
      '--set',
      'height=8,width=8,channels=16,out=16',
      '--backend',
      'ort-cpu,ort-webgpu',
      '--min-runs',
      '3',
      '--min-time',
      '0.05',
      '--max-time',
      '0.5',
      '--results',
      join(tmp, 'results'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { results } = JSON.parse(r.stdout) as {
      results: {
        status: string;
        job: { backend: { backend: string } };
        flags: string[];
        notes: string[];
        runtime?: { adapter?: { software: boolean } };
      }[];
    };
    expect(results.map((x) => [x.job.backend.backend, x.status])).toEqual([
      ['ort-cpu', 'ok'],
      ['ort-webgpu', 'ok'],
    ]);
    const [cpu, webgpu] = results;
    expect([...cpu.flags, ...cpu.notes].join('\n')).not.toContain(SOFTWARE_ADAPTER_LABEL);
    // A software adapter is said as a note (information every reader needs, not an instability).
    if (webgpu.runtime?.adapter?.software)
      expect(webgpu.notes.join('\n')).toMatch(/software \(runs on the CPU\).*not GPU speed/);
    else expect(webgpu.notes.join('\n')).not.toContain(SOFTWARE_ADAPTER_LABEL);
    expect(webgpu.runtime?.adapter, 'the WebGPU result names its adapter').toBeDefined();
  });
});
