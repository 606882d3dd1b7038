// The CLI as a user runs it: a child process, stdout holding one JSON document with --json,
// errors on stderr with a non-zero exit code.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli as runCli, cliJson } from './helpers/cli.js';
import { terminalSafe } from '../main/cli/io.js';
import { writeOnnxFile } from '../main/onnx/onnx-file.js';
import { buildTarget } from '../shared/targets.js';

const tmp = mkdtempSync(join(tmpdir(), 'studio-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(args);
const json = (...args: string[]) => cliJson(args);

describe('CLI', () => {
  it('lists blocks with parameters and defaults', () => {
    const { blocks } = json('blocks');
    const pw = blocks.find((b: { name: string }) => b.name === 'pointwise');
    expect(pw.params.find((p: { name: string }) => p.name === 'channels').default).toBe(152);
    expect(pw.params.find((p: { name: string }) => p.name === 'out').default).toBe(64);
  });

  it('lists the zoo with variants', () => {
    const { models } = json('zoo');
    const names = models.map((m: { name: string }) => m.name);
    for (const n of ['resnet50', 'vgg16', 'xception', 'inception_resnet_v2', 'mobilenet_v2', 'googlenet'])
      expect(names).toContain(n);
    expect(models.find((m: { name: string }) => m.name === 'resnet50').variants).toEqual(
      expect.arrayContaining(['keras', 'torchvision']),
    );
  });

  it('costs a block with overrides and the documented JSON fields', () => {
    const r = json('cost', 'pointwise', '--set', 'out=32');
    expect(r.totals).toMatchObject({ params: 152 * 32 + 32, trainableParams: 152 * 32 + 32, macs: 14 * 14 * 152 * 32 });
    expect(r.totals.flops).toBe(2 * r.totals.macs);
    expect(typeof r.totals.weightBytes).toBe('number');
    expect(typeof r.totals.peakActivationBytes).toBe('number');
    expect(r.layers[0]).toEqual(
      expect.objectContaining({
        name: expect.any(String),
        op: 'Conv',
        outputShape: [1, 32, 14, 14],
        params: 4896,
        macs: 953344,
      }),
    );
  });

  it('costs a block at another input shape', () => {
    const r = json('cost', 'pointwise', '--input', '2x16x8x8');
    expect(r.outputs[0].shape).toEqual([2, 64, 8, 8]);
  });

  it('costs a zoo model in a named variant', () => {
    const r = json('cost', 'resnet50', '--variant', 'keras');
    expect(r.totals.params).toBe(25_636_712);
    expect(r.variant).toBe('keras');
  });

  it('prints a human table without --json', () => {
    const r = cli('cost', 'bottleneck');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/MACs\s+218,365,952/);
    expect(r.stdout).toMatch(/FLOPs \(2 x MACs\)\s+436,731,904/);
  });

  it('compares the 3.7x pair from the seeds', () => {
    const { comparisons } = json('compare', '--seed', 'reduce-then-conv');
    const [direct, reduced] = comparisons[0].rows;
    expect(direct.params).toBe(256 * 256 * 16);
    expect(reduced.params).toBe(256 * 64 + 64 * 256 * 16);
    expect(reduced.ratioToFirst.params).toBeCloseTo(3.7647, 3);
  });

  it('compares arbitrary targets with inline overrides', () => {
    const { comparisons } = json('compare', 'pointwise:out=64', 'pointwise:out=128');
    expect(comparisons[0].rows[1].ratioToFirst.macs).toBeCloseTo(0.5, 6);
  });

  it('exports a block to ONNX', () => {
    const out = join(tmp, 'bn.onnx');
    const r = json('export', 'bottleneck', '--set', 'height=8,width=8', '--out', out);
    expect(r.out).toBe(out);
    expect(readFileSync(out).length).toBeGreaterThan(1000);
    const back = json('cost', out);
    expect(back.totals.params).toBe(json('cost', 'bottleneck', '--set', 'height=8,width=8').totals.params);
  });

  const bad: { name: string; args: string[]; message: RegExp }[] = [
    { name: 'an unknown target', args: ['cost', 'resnet51'], message: /unknown target 'resnet51'/ },
    {
      name: 'an unknown parameter',
      args: ['cost', 'pointwise', '--set', 'outt=3'],
      message: /unknown parameter 'outt'/,
    },
    {
      name: 'a negative size',
      args: ['cost', 'pointwise', '--set', 'height=-3'],
      message: /parameter 'height' must be at least 1/,
    },
    {
      name: 'a non-number',
      args: ['cost', 'pointwise', '--set', 'out=lots'],
      message: /parameter 'out' must be a number/,
    },
    { name: 'a malformed pair', args: ['cost', 'pointwise', '--set', 'out'], message: /not a key=value pair/ },
    { name: 'an unknown variant', args: ['cost', 'resnet50', '--variant', 'caffe'], message: /no variant 'caffe'/ },
    { name: 'a bad shape', args: ['cost', 'pointwise', '--input', '1x3xfoo'], message: /not a shape/ },
    { name: 'a missing file', args: ['cost', join(tmp, 'nope.onnx')], message: /nope\.onnx/ },
    { name: 'a compare with one target', args: ['compare', 'pointwise'], message: /at least two targets/ },
  ];
  for (const b of bad)
    it(`rejects ${b.name} with a clear error`, () => {
      const r = cli(...b.args, '--json');
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(b.message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });

  it('rejects a corrupt ONNX file with a clear error', () => {
    const f = join(tmp, 'corrupt.onnx');
    writeFileSync(f, 'this is not a model');
    const r = cli('cost', f);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/corrupt\.onnx/);
  });
});

describe('--set on an .onnx file assigns its symbolic dimensions', () => {
  // The pointwise block at 8x8, written once with a symbolic batch and once as built (batch fixed at 1).
  const graph = buildTarget({ target: 'pointwise', set: { height: '8', width: '8' } });
  const symbolic = join(tmp, 'symbolic-batch.onnx');
  const fixed = join(tmp, 'fixed-batch.onnx');
  writeOnnxFile(
    { ...graph, inputs: [{ ...graph.inputs[0], dimParams: ['batch', undefined, undefined, undefined] }] },
    symbolic,
  );
  writeOnnxFile(graph, fixed);

  it('sets a symbolic dimension', () => {
    const r = json('cost', symbolic, '--set', 'batch=4');
    expect(r.inputs[0].shape).toEqual([4, ...graph.inputs[0].shape.slice(1)]);
  });

  const refusals: { name: string; file: string; set: string; message: string }[] = [
    {
      name: 'a misspelt dimension',
      file: symbolic,
      set: 'btch=4',
      message: "unknown dimension 'btch': not a symbolic dimension of the file. Symbolic dimensions: batch",
    },
    {
      name: 'a dimension the file fixes',
      file: fixed,
      set: 'batch=8',
      message: `unknown dimension 'batch': the file has no symbolic dimensions to set (inputs: '${graph.inputs[0].name}' ${graph.inputs[0].shape.join('x')})`,
    },
  ];
  for (const c of refusals)
    it(`refuses ${c.name} with one error line and exit code 2`, () => {
      const r = cli('cost', c.file, '--set', c.set);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`error: ${basename(c.file)}: ${c.message}\n`);
    });
});

describe('text from files reaches the terminal inert', () => {
  it('escapes control characters and bidirectional overrides, keeps newlines and tabs', () => {
    expect(terminalSafe('a\x1b[31mred\x1b[0m\rb\u202ec\td\ne')).toBe('a\\x1b[31mred\\x1b[0m\\x0db\\u202ec\td\ne');
  });

  it('in a CLI error naming a file', () => {
    const r = runCli(['cost', join(tmpdir(), 'no\x1b[2Jsuch\u202e.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('\x1b');
    expect(r.stderr).toContain('no\\x1b[2Jsuch\\u202e.onnx');
  });
});
