// GPU results in reports: the adapter (a software device labeled), the placement summary, the
// device-resident latency beside the complete run, the cold first run, device memory or why it is
// not measurable, and the devices comparison; in HTML every string from a result is escaped.
import { describe, expect, it } from 'vitest';
import { parseReport, renderReport } from '../main/reports/index.js';
import { ResultSchema, type BenchResult } from '../shared/contract/result.js';
import { softwareAdapterFlag } from '../shared/hardware/adapters.js';
import { fakeAdapters, fakeDevicesSet, fakeGpuResult, fakeReportSet } from './helpers/fake-results.js';

const ctx = { createdAt: '2025-06-01T12:00:00.000Z', title: 'GPU run' };

/** A strict-enough RFC 4180 reader for these rows (quoted fields with commas, doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let [row, field, quoted] = [[] as string[], '', false];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      [row, field] = [[], ''];
      i++;
    } else field += c;
  }
  return rows;
}

/** The <section class="card"> whose heading is `title`. */
function card(html: string, title: string): string {
  const start = html.indexOf(`<h2>${title}</h2>`);
  if (start < 0) return '';
  const end = html.indexOf('</section>', start);
  return html.slice(start, end);
}

describe('GPU details in reports', () => {
  const set = fakeDevicesSet();

  it('HTML: a devices card with ratios and the software badge, and a GPU card with every detail', () => {
    const html = renderReport(set, 'html', ctx);
    const devices = card(html, 'Devices compared');
    expect(devices).toContain('<caption>bottleneck:mid=64 · b1 · fp32</caption>');
    const rows = devices.split('<tr').slice(2);
    expect(rows.map((r) => /<td>([^<]*)/.exec(r)![1].trim())).toEqual([
      'ort-cuda',
      'ort-webgpu on NVIDIA GeForce RTX 4090',
      'ort-cpu (4 threads)',
      'ort-webgpu on llvmpipe (LLVM 15.0.6, 256 bits)',
    ]);
    expect(rows[2]).toContain('1.00× (same)');
    expect(rows[1]).toMatch(/0\.2\d× \(\d\.\d\d× faster\)/);
    expect(rows[1]).toContain('420 µs');
    expect(rows[3]).toContain('class="badge software"');
    expect(rows[3]).toContain('software (runs on the CPU): not GPU speed');
    expect(rows[0]).not.toContain('badge software');

    const gpu = card(html, 'GPU results');
    const gpuRows = gpu.split('<tr class="gpu').slice(1);
    expect(gpuRows).toHaveLength(3);
    const [webgpu, soft, cuda] = gpuRows;
    expect(webgpu).toContain('NVIDIA GeForce RTX 4090 (discrete)');
    expect(webgpu).toContain('<td class="wrap fallback"');
    expect(webgpu).toContain(
      'WebGpu 12 nodes (98.6% of MACs); CPU 3 nodes (1.4% of MACs); fell back: 3 nodes (Shape, Gather, Concat)',
    );
    expect(webgpu).toContain('420 µs');
    expect(webgpu).toContain('413 ms');
    expect(webgpu).toContain('not measurable here: WebGPU exposes no per-process device memory figure');
    expect(soft).toContain('class="badge software"');
    expect(soft).not.toContain('wrap fallback');
    expect(cuda).toContain('512.0 MiB');
    expect(cuda).toContain('not recorded');
    expect(gpu).toContain('Complete run incl. copies (p50)');
    expect(gpu).toContain('Device-resident (p50)');
    expect(gpu).toContain(softwareAdapterFlag(fakeAdapters.llvmpipe));
    expect(gpu).toContain('fell back from the requested provider: /shape_0, /gather_1, /concat_2');
    expect(gpu).toContain('device-resident: inputs uploaded once');
  });

  it('HTML: no GPU cards for CPU-only results', () => {
    const cpuOnly = fakeReportSet().filter((r) => r.job.backend.backend === 'ort-cpu');
    const html = renderReport(cpuOnly, 'html', ctx);
    expect(html).not.toContain('<h2>GPU results</h2>');
    expect(html).not.toContain('<h2>Devices compared</h2>');
  });

  it('HTML: escapes every string a GPU result carries', () => {
    const evil = '<img src=x onerror="alert(1)">&\'';
    const target = { kind: 'block' as const, name: 'conv', params: {} };
    const hostile = fakeGpuResult({
      id: 'evil',
      backend: 'ort-webgpu',
      target,
      medianMs: 1,
      label: `label ${evil}`,
      adapter: { ...fakeAdapters.llvmpipe, name: `llvmpipe ${evil}`, driver: evil },
      placement: {
        nodesByProvider: { [`Evil${evil}ExecutionProvider`]: 2, CPUExecutionProvider: 1 },
        fallbackNodes: [`node ${evil}`],
        fallbackOps: [`Op${evil}`],
      },
      deviceResident: { medianMs: 0.5, samplesMs: [0.5], runsPerBatch: 4, method: `method ${evil}` },
      gpuUnmeasured: `reason ${evil}`,
    });
    const html = renderReport([hostile, fakeGpuResult({ backend: 'ort-cpu', target, medianMs: 2 })], 'html', ctx);
    const body = html.slice(html.indexOf('<main'), html.indexOf('<script type="application/json"'));
    expect(body).not.toContain('<img');
    expect(body).not.toContain('onerror="');
    expect(body).toContain('llvmpipe &lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;');
    expect(body).toContain('not measurable here: reason &lt;img');
    expect(body).toContain('node &lt;img');
    expect(body).toContain('method &lt;img');
    expect(body).toContain('Op&lt;img');
    expect(card(html, 'Devices compared')).toContain('ort-webgpu on llvmpipe &lt;img');
  });

  it('Markdown: the devices table and the GPU table, a software device in bold', () => {
    const md = renderReport(set, 'md', ctx);
    const devices = md.slice(md.indexOf('## Devices compared'), md.indexOf('## GPU results'));
    expect(devices).toContain('### bottleneck:mid=64 · b1 · fp32');
    const lines = devices.split('\n').filter((l) => l.startsWith('| ') && !/^\| (Device|:---)/.test(l));
    expect(lines.map((l) => l.split(' | ')[0].slice(2))).toEqual([
      'ort-cuda',
      'ort-webgpu on NVIDIA GeForce RTX 4090',
      'ort-cpu (4 threads)',
      '**ort-webgpu on llvmpipe (LLVM 15.0.6, 256 bits) \\[software (runs on the CPU): not GPU speed\\]**',
    ]);
    expect(lines[2]).toContain('1.00× (same)');
    expect(lines[1]).toMatch(/faster\)/);
    expect(lines[1]).toContain('420 µs');
    const gpu = md.slice(md.indexOf('## GPU results'));
    expect(gpu).toContain('| Result | Device | Placement | Complete run incl. copies (p50) | Device-resident (p50) |');
    const webgpu = gpu.split('\n').find((l) => l.includes('NVIDIA GeForce RTX 4090 (discrete)'))!;
    expect(webgpu).toContain('⚠ WebGpu 12 nodes (98.6% of MACs)');
    expect(webgpu).toContain('420 µs');
    expect(webgpu).toContain('413 ms');
    expect(webgpu).toContain('not measurable here: WebGPU exposes no per-process device memory figure');
    const soft = gpu.split('\n').find((l) => l.includes('llvmpipe') && l.startsWith('| '))!;
    expect(soft).toContain('**software (runs on the CPU): not GPU speed**');
    expect(soft).not.toContain('⚠');
    expect(gpu.split('\n').find((l) => l.includes('ort-cuda') && l.startsWith('| '))).toContain('512.0 MiB');
    expect(gpu).toContain('not GPU speed');
    expect(gpu).toContain('fell back from the requested provider: /shape\\_0, /gather\\_1, /concat\\_2');
    // Markdown metacharacters from a result are escaped.
    const piped = fakeGpuResult({ backend: 'ort-cuda', medianMs: 1, gpuUnmeasured: 'a | b' });
    expect(renderReport([piped], 'md', ctx)).toContain('not measurable here: a \\| b');
  });

  it('CSV: GPU columns per result, raw numbers, and the ratio to ort-cpu', () => {
    const [header, ...body] = parseCsv(renderReport(set, 'csv', ctx));
    for (const r of body) expect(r).toHaveLength(header.length);
    const row = (id: string) => body.find((r) => r[0] === id)!;
    const col = (id: string, name: string) => {
      expect(header).toContain(name);
      return row(id)[header.indexOf(name)];
    };
    expect(col('dev-webgpu', 'gpu_adapter')).toBe('NVIDIA GeForce RTX 4090 (discrete)');
    expect(col('dev-webgpu', 'gpu_adapter_software')).toBe('false');
    expect(col('dev-llvmpipe', 'gpu_adapter_software')).toBe('true');
    expect(col('dev-webgpu', 'placement')).toContain('fell back: 3 nodes (Shape, Gather, Concat)');
    expect(col('dev-webgpu', 'placement_fallback_nodes')).toBe('/shape_0; /gather_1; /concat_2');
    expect(col('dev-webgpu', 'device_resident_p50_ms')).toBe('0.42');
    expect(col('dev-webgpu', 'cold_first_run_ms')).toBe('412.5');
    expect(col('dev-webgpu', 'gpu_unmeasured')).toBe('WebGPU exposes no per-process device memory figure');
    expect(col('dev-cuda', 'gpu_bytes')).toBe(String(512 * 2 ** 20));
    expect(col('dev-cpu-4t', 'ratio_to_ort_cpu')).toBe('1');
    expect(col('dev-cpu-1t', 'ratio_to_ort_cpu')).toBe('');
    expect(col('dev-cpu-1t', 'gpu_adapter')).toBe('');
    expect(Number(col('dev-llvmpipe', 'ratio_to_ort_cpu'))).toBeGreaterThan(3);
    expect(Number(col('dev-webgpu', 'ratio_to_ort_cpu'))).toBeLessThan(0.3);
    expect(col('dev-lone', 'ratio_to_ort_cpu')).toBe('');
  });

  it('JSON: the GPU fields travel in full and read back', () => {
    const parsed = parseReport(renderReport(set, 'json', ctx), 'r.json');
    const back = parsed.results.map((r) => ResultSchema.parse(r)) as BenchResult[];
    const webgpu = back.find((r) => r.id === 'dev-webgpu')!;
    expect(webgpu.runtime?.adapter).toEqual(fakeAdapters.rtx4090);
    expect(webgpu.deviceResident?.medianMs).toBe(0.42);
    expect(webgpu.placement?.macsShareByProvider).toEqual({
      WebGpuExecutionProvider: 0.9858,
      CPUExecutionProvider: 0.0142,
    });
    expect(webgpu.memory?.gpuUnmeasured).toBe('WebGPU exposes no per-process device memory figure');
    expect(back.find((r) => r.id === 'dev-cuda')!.memory?.gpuBytes).toBe(512 * 2 ** 20);
  });
});

describe('GPU details leave failed jobs to the failures section', () => {
  it('lists only measured GPU results', () => {
    const failed = fakeGpuResult({
      id: 'gpu-failed',
      backend: 'ort-webgpu',
      status: 'failed',
      adapter: fakeAdapters.rtx4090,
    });
    const ok = fakeGpuResult({ id: 'gpu-ok', backend: 'ort-webgpu', medianMs: 1, adapter: fakeAdapters.rtx4090 });
    const [header, ...body] = parseCsv(renderReport([failed, ok], 'csv', ctx));
    const adapter = header.indexOf('gpu_adapter');
    expect(body.map((r) => [r[0], r[adapter]])).toEqual([
      ['gpu-failed', ''],
      ['gpu-ok', 'NVIDIA GeForce RTX 4090 (discrete)'],
    ]);
    expect(card(renderReport([failed, ok], 'html', ctx), 'GPU results').split('<tr class="gpu')).toHaveLength(2);
  });
});
