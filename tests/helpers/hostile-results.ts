// Untrusted input for the hardening tests (issue 9): results whose every string (target names,
// labels, flags, machine brand, adapter names, notes, failure reasons, record keys) carries markup,
// script, `javascript:` URLs, Vue template syntax, U+2028/U+2029 and bidirectional overrides, and a
// results folder with good files beside damaged, foreign, newer, empty, huge and odd ones.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResultSchema, type BenchResult } from '../../shared/contract/result.js';
import { toJsonText } from '../../main/store/result-check.js';
import { fakeMachine, fakeResult } from './fake-results.js';

/**
 * Each payload sets window.__pwned to its own number if it ever runs, or tries to reach another
 * origin, or opens a dialog: a test asserts that none of that happens and that the text shows.
 */
export const PAYLOADS = [
  `<img src=x onerror="window.__pwned=1;alert('img')">`,
  `</script><script>window.__pwned=2;alert('script')</script>`,
  `javascript:window.__pwned=3`,
  `{{ (window.__pwned = 4) }}{{ constructor.constructor('window.__pwned=4;alert(4)')() }}`,
  `<svg/onload="window.__pwned=5">`,
  `<a href="javascript:window.__pwned=6" id="pwn-link">click</a>`,
  `<iframe srcdoc="<script>parent.__pwned=7</script>"></iframe>`,
  `<img src="https://evil.example/beacon.png"><link rel=stylesheet href="//evil.example/x.css">`,
  `<style>body{background:url(https://evil.example/bg.png)}</style>`,
  `<!-- ${'"'}' & <b>bold</b>`,
  `line\u2028separator\u2029paragraph`,
  `\u202Egnp.exe\u202C \u2066isolate\u2069`,
] as const;

/** A hostile string tagged with the field it goes into, so that a test can find it on the page. */
export const hostile = (tag: string): string => `${tag}: ${PAYLOADS.join(' ')}`;

/** The tags of the strings in hostileResults() that a Results view or report shows. */
export const HOSTILE_TAGS = {
  label: 'evil-label',
  block: 'evil-block',
  flag: 'evil-flag',
  brand: 'evil-brand',
  gpu: 'evil-gpu-model',
  adapter: 'evil-adapter',
  note: 'evil-note',
  failure: 'evil-failure',
  detail: 'evil-detail',
  node: 'evil-node',
  method: 'evil-method',
} as const;

const T = HOSTILE_TAGS;

/** Three valid results whose strings are all hostile: ok on the GPU (int8), ok on the CPU, failed. */
export function hostileResults(): BenchResult[] {
  const machine = fakeMachine({
    cpu: { ...fakeMachine().cpu, manufacturer: hostile('evil-manufacturer'), brand: hostile(T.brand) },
    gpus: [{ vendor: hostile('evil-vendor'), model: hostile(T.gpu), driver: hostile('evil-driver') }],
    adapters: [
      {
        source: 'vulkan',
        name: hostile(T.adapter),
        type: 'cpu',
        software: true,
        driver: hostile('evil-adapter-driver'),
        driverInfo: hostile('evil-driver-info'),
      },
    ],
    adapterNotes: [hostile('evil-adapter-note')],
    os: { platform: 'linux', distro: hostile('evil-distro'), release: '1', arch: 'x64' },
  });
  const target = {
    kind: 'block' as const,
    name: hostile(T.block),
    params: { [hostile('evil-key')]: hostile('evil-value') },
  };
  const base = fakeResult({ id: 'hostile-gpu', target, label: hostile(T.label), machine, flags: [hostile(T.flag)] });
  const gpu = ResultSchema.parse({
    ...base,
    job: {
      ...base.job,
      precision: 'int8',
      group: hostile('evil-group'),
      backend: { ...base.job.backend, backend: 'ort-webgpu' },
    },
    studioVersion: hostile('evil-version'),
    runtime: {
      name: hostile('evil-runtime'),
      version: '1',
      providers: [hostile('evil-provider')],
      adapter: machine.adapters![0],
    },
    memory: { ...base.memory!, gpuUnmeasured: hostile('evil-gpu-memory') },
    placement: {
      nodesByProvider: { [hostile('evil-provider-key')]: 3 },
      fallbackNodes: [hostile('evil-fallback')],
      fallbackOps: [hostile('evil-fallback-op')],
      macsByProvider: { [hostile('evil-provider-key')]: 1000 },
      macsShareByProvider: { [hostile('evil-provider-key')]: 1 },
    },
    nodes: [
      {
        name: hostile(T.node),
        op: hostile('evil-op'),
        provider: hostile('evil-node-provider'),
        meanUs: 12,
        graphNodes: [hostile('evil-layer')],
        macs: 1000,
        gflops: 1,
      },
    ],
    deviceResident: { medianMs: 1.1, samplesMs: [1.1, 1.2, 1.0], runsPerBatch: 10, method: hostile(T.method) },
    precision: {
      precision: 'int8',
      notes: [hostile(T.note)],
      fidelity: {
        reference: hostile('evil-reference'),
        inputs: hostile('evil-inputs'),
        outputs: [
          {
            name: hostile('evil-output'),
            shape: [1, 10],
            maxAbsError: 0.01,
            meanAbsError: 0.001,
            relError: 0.01,
            cosine: 0.9999,
            top1Agreement: 1,
            elements: 10,
          },
        ],
        overall: {
          maxAbsError: 0.01,
          meanAbsError: 0.001,
          relError: 0.01,
          cosine: 0.9999,
          top1Agreement: 1,
          elements: 10,
        },
      },
    },
  });
  const cpu = fakeResult({ id: 'hostile-cpu', target, label: hostile(`${T.label}-cpu`), machine, medianMs: 2.5 });
  const failed = fakeResult({
    id: 'hostile-failed',
    target: { kind: 'file', path: `javascript:alert(1)//${hostile('evil-path')}.onnx`, dims: {} },
    label: hostile(`${T.label}-failed`),
    machine,
    status: 'failed',
    failure: { kind: 'error', reason: hostile(T.failure), detail: hostile(T.detail) },
  });
  return [gpu, cpu, failed];
}

/** A JSON report (the import format) of these results, as text. */
export function reportText(results: readonly BenchResult[], title = hostile('evil-title')): string {
  return toJsonText({
    schema: 'bottleneck-studio/report',
    version: 1,
    createdAt: '2025-06-01T12:00:00.000Z',
    studioVersion: '0.1.0',
    title,
    results,
  });
}

export const HUGE_BYTES = 200 * 1024 * 1024;

/** Files of a hostile results folder that are problems, and what their reason must say. */
export const BAD_FILES: Record<string, RegExp> = {
  '2025-06-01_truncated.json': /^not valid JSON \(.*\): the file looks truncated$/,
  '2025-06-01_newer.json':
    /^written by a newer Bottleneck Studio \(result schema v2; this one reads v1\): update the studio to read it$/,
  '2025-06-01_not-json.json': /^not valid JSON/,
  '2025-06-01_empty.json': /^is empty \(0 bytes\), not a result file$/,
  '2025-06-01_folder.json': /^is a folder, not a result file$/,
  '2025-06-01_huge.json': /^is 200\.0 MB, over the 32\.0 MB limit for a result file; not read$/,
  '2025-06-01_fifo.json': /^is not a regular file, not a result file$/,
  '2025-06-01_foreign.json': /^not a Bottleneck Studio result \(schema missing/,
  '2025-06-01_unknown-version.json': /^unknown result version 0; this studio reads version 1$/,
  '2025-06-01_broken.json': /^invalid result: /,
};

/**
 * Fills `dir` with `good` valid results (ids good-000...) and one of each bad file above (the
 * 200 MB file sparse: it takes no disk space and must never be read). Returns the good ids.
 */
export function writeHostileFolder(dir: string, good = 50): string[] {
  mkdirSync(dir, { recursive: true });
  const ids: string[] = [];
  for (let i = 0; i < good; i++) {
    const id = `good-${String(i).padStart(3, '0')}`;
    const r = fakeResult({ id, createdAt: `2025-06-01T10:${String(i % 60).padStart(2, '0')}:00.000Z`, n: 20 });
    writeFileSync(join(dir, `2025-06-01_${id}.json`), toJsonText(r));
    ids.push(id);
  }
  const put = (name: string, content: string | Buffer) => writeFileSync(join(dir, name), content);
  const text = toJsonText(fakeResult({ id: 'truncated' }));
  put('2025-06-01_truncated.json', text.slice(0, Math.floor(text.length / 2)));
  put('2025-06-01_newer.json', JSON.stringify({ ...fakeResult({ id: 'newer' }), version: 2, newField: { x: 1 } }));
  put('2025-06-01_not-json.json', Buffer.from([0x3c, 0x68, 0x74, 0x6d, 0x6c, 0x3e, 0x00, 0xff, 0xfe, 0x0a]));
  put('2025-06-01_empty.json', '');
  mkdirSync(join(dir, '2025-06-01_folder.json'));
  const fd = openSync(join(dir, '2025-06-01_huge.json'), 'w');
  try {
    ftruncateSync(fd, HUGE_BYTES);
  } finally {
    closeSync(fd);
  }
  execFileSync('mkfifo', [join(dir, '2025-06-01_fifo.json')]);
  put('2025-06-01_foreign.json', JSON.stringify({ name: 'some-package', version: '1.0.0' }));
  put('2025-06-01_unknown-version.json', JSON.stringify({ ...fakeResult({ id: 'old' }), version: 0 }));
  put('2025-06-01_broken.json', JSON.stringify({ ...fakeResult({ id: 'broken' }), stats: { n: 'many' } }));
  return ids;
}
