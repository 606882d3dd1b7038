// Each provider's session configuration (device id, options), checked on any machine: the entry is
// plain data, so CUDA, TensorRT, DirectML and CoreML are tested here even where they cannot run.
// Where they cannot, a session on them must be refused with a reason that says how to get them.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { getBackend } from '../main/backends/registry.js';
import {
  checkDeviceId,
  DEVICE_ID_BACKENDS,
  executionProviderFor,
  onDevice,
  takesDeviceId,
} from '../main/backends/ort/providers.js';
import { BACKEND_NAMES, BackendConfigSchema, type BackendName } from '../shared/contract/job.js';
import { StudioError } from '../shared/ir/types.js';
import { graphToOnnx } from '../shared/onnx/writer.js';
import { pairingKey } from '../shared/stats/compare.js';
import { buildTarget } from '../shared/targets.js';
import { cli } from './helpers/cli.js';
import { fakeResult } from './helpers/fake-results.js';

const config = (backend: BackendName, deviceId?: number) =>
  BackendConfigSchema.parse({ backend, ...(deviceId === undefined ? {} : { deviceId }) });

describe('execution-provider entry per provider', () => {
  it('CPU is the bare provider name', () => {
    expect(executionProviderFor(config('ort-cpu'))).toBe('cpu');
  });

  it.each([
    ['ort-cuda', 'cuda'],
    ['ort-tensorrt', 'tensorrt'],
    ['ort-dml', 'dml'],
  ] as const)('%s names its device: 0 by default, the configured one otherwise', (backend, name) => {
    expect(executionProviderFor(config(backend))).toEqual({ name, deviceId: 0 });
    expect(executionProviderFor(config(backend, 0))).toEqual({ name, deviceId: 0 });
    expect(executionProviderFor(config(backend, 3))).toEqual({ name, deviceId: 3 });
  });

  it('TensorRT gets its device id and nothing else (onnxruntime-node passes no other TensorRT option)', () => {
    expect(Object.keys(executionProviderFor(config('ort-tensorrt', 1)) as object).sort()).toEqual(['deviceId', 'name']);
  });

  it('WebGPU takes its typed options and never a device id', () => {
    expect(executionProviderFor(config('ort-webgpu'))).toEqual({ name: 'webgpu' });
    expect(
      executionProviderFor(config('ort-webgpu'), {
        webgpu: { preferredLayout: 'NHWC', validationMode: 'wgpuOnly', storageBufferCacheMode: 'simple' },
      }),
    ).toEqual({
      name: 'webgpu',
      preferredLayout: 'NHWC',
      validationMode: 'wgpuOnly',
      storageBufferCacheMode: 'simple',
    });
  });

  it('CoreML takes its flags', () => {
    expect(executionProviderFor(config('ort-coreml'))).toEqual({ name: 'coreml' });
    expect(executionProviderFor(config('ort-coreml'), { coreml: { coreMlFlags: 0x010 } })).toEqual({
      name: 'coreml',
      coreMlFlags: 0x010,
    });
  });

  it('the tuning cannot rename the provider', () => {
    const tuning = { webgpu: { name: 'cpu' } } as unknown as Parameters<typeof executionProviderFor>[1];
    expect(executionProviderFor(config('ort-webgpu'), tuning)).toEqual({ name: 'webgpu' });
  });

  it('native has no execution provider', () => {
    expect(() => executionProviderFor(config('native'))).toThrow(/not an ONNX Runtime backend/);
  });

  it('the binding refuses a device id on WebGPU, which is why the entry never carries one', async (ctx) => {
    if (!ort.listSupportedBackends().some((b) => b.name === 'webgpu')) ctx.skip('no WebGPU in this build');
    const model = graphToOnnx(buildTarget({ target: 'pointwise', set: { height: '4', width: '4' } }));
    // Rejected while the options are parsed, before any adapter is opened: no GPU needed.
    await expect(
      ort.InferenceSession.create(model, {
        executionProviders: [{ name: 'webgpu', deviceId: 0 } as ort.InferenceSession.ExecutionProviderOption],
      }),
    ).rejects.toThrow(/unrecognized option: 'deviceId'/);
  });
});

describe('device ids', () => {
  it('only CUDA, TensorRT and DirectML select a device', () => {
    expect(BACKEND_NAMES.filter(takesDeviceId)).toEqual([...DEVICE_ID_BACKENDS]);
    for (const b of DEVICE_ID_BACKENDS) expect(() => checkDeviceId(b, 2)).not.toThrow();
  });

  it.each([
    ['ort-cpu', /ort-cpu runs on the CPU and has no device to choose; drop --device/],
    ['native', /native runs on the CPU .* drop --device/],
    ['ort-webgpu', /ort-webgpu picks its graphics adapter itself .* drop --device/],
    ['ort-coreml', /ort-coreml picks its device itself .* drop --device/],
  ] as const)('%s refuses a device id, 0 included, with what to do', (backend, message) => {
    for (const id of [0, 1]) {
      expect(() => checkDeviceId(backend, id)).toThrow(message);
      expect(() => checkDeviceId(backend, id)).toThrow(StudioError);
    }
    expect(() => checkDeviceId(backend, undefined)).not.toThrow();
  });

  it('a CPU configuration with a device id builds no session entry', () => {
    expect(() => executionProviderFor(config('ort-cpu', 1))).toThrow(/ort-cpu runs on the CPU/);
    expect(() => executionProviderFor(config('native', 0))).toThrow(/native runs on the CPU/);
  });

  it('the schema takes integers >= 0 and stays valid without one (older files)', () => {
    expect(BackendConfigSchema.parse({ backend: 'ort-cuda' }).deviceId).toBeUndefined();
    expect(BackendConfigSchema.parse({ backend: 'ort-cuda', deviceId: 0 }).deviceId).toBe(0);
    expect(BackendConfigSchema.parse({ backend: 'ort-cuda', deviceId: 7 }).deviceId).toBe(7);
    for (const deviceId of [-1, 0.5, 1.5, Number.NaN, Infinity, '1', null])
      expect(BackendConfigSchema.safeParse({ backend: 'ort-cuda', deviceId }).success, String(deviceId)).toBe(false);
  });

  it('messages name the device only when one is configured', () => {
    expect(onDevice(config('ort-cuda'))).toBe('');
    expect(onDevice(config('ort-cuda', 1))).toBe(' on device 1');
  });

  it('results on device 1 never pool with device 0; no device id pools with device 0', () => {
    const on = (deviceId?: number) => {
      const r = fakeResult({ backend: 'ort-cuda' });
      if (deviceId !== undefined) r.job.backend.deviceId = deviceId;
      return pairingKey(r);
    };
    expect(on(0)).toBe(on());
    expect(on(1)).not.toBe(on(0));
    expect(on(1)).toBe(on(1));
  });
});

describe('GPU providers this machine lacks', () => {
  const model = graphToOnnx(buildTarget({ target: 'pointwise', set: { height: '4', width: '4' } }));
  const installScript = /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/;

  it.for([
    ['ort-cuda', installScript],
    ['ort-tensorrt', installScript],
  ] as const)('a %s session is refused with how to install the provider', async ([name, how], ctx) => {
    const backend = getBackend(name);
    if ((await backend.detect()).available) ctx.skip(`${name} runs here: nothing to refuse`);
    const refused = backend.createSession(model, config(name));
    await expect(refused).rejects.toMatchObject({ name: 'RefusedError', message: expect.stringMatching(how) });
    if (process.platform === 'linux')
      await expect(backend.createSession(model, config(name))).rejects.toThrow(/CUDA 12\.x and cuDNN 9\.x/);
    await expect(backend.createSession(model, config(name, 1))).rejects.toMatchObject({
      name: 'RefusedError',
      message: expect.stringMatching(new RegExp(`^${name} on device 1 is unavailable on this machine: `)),
    });
  });

  it('an ort-dml session off Windows is refused: DirectML comes with the Windows build only', async (ctx) => {
    if (process.platform === 'win32') ctx.skip('DirectML is bundled on Windows');
    await expect(getBackend('ort-dml').createSession(model, config('ort-dml', 1))).rejects.toMatchObject({
      name: 'RefusedError',
      message: expect.stringMatching(
        /^ort-dml on device 1 is unavailable on this machine: DirectML runs only on Windows/,
      ),
    });
  });
});

describe('bench --device', () => {
  const quick = ['--min-runs', '3', '--min-time', '0', '--max-time', '0.2', '--json'];

  it('refuses a device for a backend without one, on one line, before any job runs', () => {
    const r = cli([
      'bench',
      'pointwise',
      '--set',
      'height=4,width=4',
      '--backend',
      'ort-cpu',
      '--device',
      '1',
      ...quick,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/ort-cpu runs on the CPU and has no device to choose; drop --device/);
    expect(r.stdout).toBe('');
  });

  it.each(['x', '1.5', ''])("refuses --device '%s'", (id) => {
    const r = cli(['bench', 'pointwise', '--backend', 'ort-cuda', '--device', id, ...quick]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--device must be a GPU index \(an integer >= 0/);
  });

  it('records the device in the job configuration, and the refusal names it', async (ctx) => {
    if ((await getBackend('ort-cuda').detect()).available) ctx.skip('CUDA runs here: nothing to refuse');
    const r = cli([
      'bench',
      'pointwise',
      '--set',
      'height=4,width=4',
      '--backend',
      'ort-cuda',
      '--device',
      '1',
      ...quick,
    ]);
    expect(r.code).toBe(1);
    const [result] = JSON.parse(r.stdout).results;
    expect(result.job.backend).toMatchObject({ backend: 'ort-cuda', deviceId: 1 });
    expect(result.failure).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/ort-cuda on device 1 is unavailable on this machine: .*ONNXRUNTIME_NODE_INSTALL/),
    });
  });
});
