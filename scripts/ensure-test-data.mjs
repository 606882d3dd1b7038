// Makes sure the ONNX project's backend test data (Debian/Ubuntu package libonnx-testdata, onnx 1.12)
// is installed before the tests run: tests/onnx-backend-suite.test.ts reads it in place. As root it
// installs the package; otherwise it stops with the command to run. It never skips silently.
// Plain Node ESM without dependencies, so that it runs before anything else of `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import process from 'node:process';

const DATA = '/usr/share/libonnx-testdata/data';
const PACKAGE = 'libonnx-testdata';
const MISSING = 'missing ONNX backend test data: run `sudo apt-get install -y libonnx-testdata`';

/** Runs apt-get with the terminal attached (its progress and errors are the user's to see). */
function aptGet(...args) {
  const r = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

if (!existsSync(DATA)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root) {
    process.stderr.write(`${MISSING}\n`);
    process.exit(1);
  }
  process.stdout.write(`${DATA} is missing: installing ${PACKAGE} with apt-get\n`);
  // A fresh container often has no package lists yet: update, then try once more.
  const installed = aptGet('install', '-y', PACKAGE) || (aptGet('update') && aptGet('install', '-y', PACKAGE));
  if (!installed || !existsSync(DATA)) {
    process.stderr.write(`apt-get could not install ${PACKAGE}\n${MISSING}\n`);
    process.exit(1);
  }
}
