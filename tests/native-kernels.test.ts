// The native kernels on their own, below the addon: native/test/build.sh compiles every ISA's
// kernel sources with their own flags plus a standalone C++ test, which compares every kernel of
// every ISA table this CPU can run (scalar, AVX2, AVX-512) against double-precision references
// over randomized shapes. Any mismatch fails with the test's own report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const hasCompiler = spawnSync(process.env.CXX ?? 'g++', ['--version']).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'studio-kernels-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(process.platform === 'win32' || !hasCompiler)('native kernels (standalone C++ test)', () => {
  it('match the double-precision references on every ISA this CPU supports', () => {
    const build = spawnSync('bash', [join(root, 'native/test/build.sh'), '--out', tmp], { encoding: 'utf8' });
    expect(build.status, `build.sh failed:\n${build.stdout}\n${build.stderr}`).toBe(0);

    // Every ISA the CPU supports, whatever STUDIO_NATIVE_ISA says for the addon's own tests.
    const env = { ...process.env, STUDIO_NATIVE_ISA: '' };
    const run = spawnSync(join(tmp, 'kernels_test'), [], { encoding: 'utf8', env, timeout: 180_000 });
    const report = `${run.stdout}\n${run.stderr}`;
    expect(run.status, `kernels_test failed:\n${report}`).toBe(0);
    expect(report).toMatch(/^scalar\s+ok$/m);
    expect(report).toMatch(/ 0 failures/);
  }, 300_000); // ~35 s alone; the whole suite runs beside it on 2 cores, and a hang still fails
});
