// The native backend on the ONNX project's backend test suite (onnx 1.12, Debian's
// libonnx-testdata, read in place): every case whose operators are all on the native list runs
// through `verify` with its own inputs and expected outputs (rtol 1e-3, atol 1e-5). A case must
// pass or be refused before running with a reason (a dtype other than float32, 1-D/3-D
// convolution or pooling, training-mode outputs...): a wrong number fails the test. The cases
// and their outcomes go to test-results/native-onnx-suite.json; docs/NATIVE-ONNX-SUITE.md
// summarizes them.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { onnx } from '../shared/onnx/tensor.js';
import { tryLoadNativeAddon } from '../main/backends/native/addon.js';
import { NATIVE_ONNX_OPS } from '../main/backends/native/lower.js';
import { verifyPath, type VerifyCase } from '../main/cli/commands/verify.js';

const DATA = '/usr/share/libonnx-testdata/data/';
const FOLDERS = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'];
const REPORT = fileURLToPath(new URL('../test-results/native-onnx-suite.json', import.meta.url));
const loaded = tryLoadNativeAddon();

/** Why a case may be refused: each refusal must name one of these (anything else is a bug). */
const KNOWN_REFUSALS = [
  /is (u?int\d+|float16|float64|bool)(\b| )/, // a dtype other than float32
  /is not 2-D pooling|is [13]-D \(only 2-D convolution\)/,
  /training-mode outputs|runs in training mode/,
  /produces (bool|int64)/, // Dropout's mask, MaxPool's indices
  /is a constant, not computed by any node/,
  /every dimension must be >= 1/, // zero-size tensors
  /segmented tensor|holds \d+ values but its shape/, // sequence / optional inputs the reader refuses
];

function nativeCases(): { id: string; path: string }[] {
  const ops = new Set(NATIVE_ONNX_OPS);
  const out: { id: string; path: string }[] = [];
  for (const folder of FOLDERS) {
    for (const name of readdirSync(`${DATA}${folder}`).sort()) {
      const path = `${DATA}${folder}/${name}`;
      if (!existsSync(`${path}/model.onnx`)) continue;
      const model = onnx.ModelProto.decode(readFileSync(`${path}/model.onnx`));
      const used = new Set((model.graph?.node ?? []).map((n) => n.opType ?? ''));
      if ([...used].every((op) => ops.has(op))) out.push({ id: `${folder}/${name}`, path });
    }
  }
  return out;
}

describe.skipIf(!('addon' in loaded))('native backend on the ONNX backend test suite (onnx 1.12)', () => {
  it('runs every case of its operators: each passes or is refused with a known reason, none is wrong', async () => {
    if (!existsSync(DATA))
      throw new Error('missing ONNX backend test data: run `sudo apt-get install -y libonnx-testdata`');
    const cases = nativeCases();
    expect(cases.length).toBeGreaterThan(250);
    const results: (Pick<VerifyCase, 'status' | 'error'> & { id: string })[] = [];
    for (const c of cases) {
      const report = await verifyPath(c.path, 'native', { rtol: 1e-3, atol: 1e-5 });
      for (const r of report.cases) results.push({ id: c.id, status: r.status, error: r.error });
    }
    mkdirSync(dirname(REPORT), { recursive: true });
    writeFileSync(REPORT, `${JSON.stringify({ source: DATA, results }, null, 1)}\n`);
    const wrong = results.filter((r) => r.status === 'fail');
    expect(wrong.map((r) => r.id)).toEqual([]);
    const unexplained = results.filter(
      (r) => r.status === 'error' && !KNOWN_REFUSALS.some((re) => re.test(r.error ?? '')),
    );
    expect(unexplained.map((r) => `${r.id}: ${r.error}`)).toEqual([]);
    const passed = results.filter((r) => r.status === 'pass').length;
    // Conv, Gemm, MatMul, pools, Softmax, Concat, elementwise... all run: most cases pass.
    expect(passed).toBeGreaterThan(170);
    console.log(
      `native on the ONNX backend suite: ${cases.length} cases of its operators, ${passed} passed, ${results.length - passed} refused with a reason, 0 wrong`,
    );
  }, 600_000);
});
