// Makes sure the system packages whose data the tests read in place are installed before the tests
// run: the ONNX project's backend test data (Debian/Ubuntu package libonnx-testdata, onnx 1.12) for
// tests/onnx-backend-suite.test.ts, and Fashion-MNIST (dataset-fashion-mnist) for the data and
// accuracy tests. As root it installs what is missing; otherwise it stops with the command to run.
// It never skips silently. Plain Node ESM without dependencies, so that it runs before anything
// else of `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import process from 'node:process';

const PACKAGES = [
  { name: 'libonnx-testdata', path: '/usr/share/libonnx-testdata/data', what: 'ONNX backend test data' },
  {
    name: 'dataset-fashion-mnist',
    path: '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz',
    what: 'Fashion-MNIST (the data and accuracy tests)',
  },
];

/** Runs apt-get with the terminal attached (its progress and errors are the user's to see). */
function aptGet(...args) {
  const r = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

const missing = PACKAGES.filter((p) => !existsSync(p.path));
if (missing.length > 0) {
  const names = missing.map((p) => p.name);
  const command = `sudo apt-get install -y ${names.join(' ')}`;
  const message = `missing ${missing.map((p) => p.what).join(' and ')}: run \`${command}\``;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root) {
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
  process.stdout.write(
    `${missing.map((p) => p.path).join(', ')} missing: installing ${names.join(', ')} with apt-get\n`,
  );
  // A fresh container often has no package lists yet: update, then try once more.
  const installed = aptGet('install', '-y', ...names) || (aptGet('update') && aptGet('install', '-y', ...names));
  if (!installed || missing.some((p) => !existsSync(p.path))) {
    process.stderr.write(`apt-get could not install ${names.join(', ')}\n${message}\n`);
    process.exit(1);
  }
}
