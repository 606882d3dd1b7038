// How long does `bottleneck-studio` take to start? Each command is a fresh process, timed from
// spawn to exit, against a bare `node -e ""` measured in the same rounds (the floor no Node
// program starts under on this machine). Goals (issue 17): `--help` within 3x of the bare node
// and `cost resnet50 --json` within 5x, medians over many rounds; each round runs the three in a
// rotated order so that a drift of the machine hits all of them alike.
//
//   npm run bench:cli                         # bin/bottleneck-studio.mjs (builds dist/ first if missing)
//   npm run bench:cli -- --rounds 60
//   npm run bench:cli -- --bin path/to/cli.js # another build of the CLI (a before/after comparison)
//   npm run bench:cli -- --bin main/cli/index.ts   # the sources through tsx's loader (npm run cli)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function parseArgs(argv: string[]): { rounds: number; bin: string } {
  let rounds = 40;
  let bin = join(root, 'bin/bottleneck-studio.mjs');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds' && argv[i + 1]) rounds = Number(argv[++i]);
    else if (argv[i] === '--bin' && argv[i + 1]) bin = resolve(argv[++i]);
    else {
      console.error(`unknown argument ${argv[i]}\nusage: npm run bench:cli -- [--rounds N] [--bin FILE]`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(rounds) || rounds < 3) {
    console.error('--rounds: a whole number of at least 3');
    process.exit(2);
  }
  return { rounds, bin };
}

interface Case {
  name: string;
  args: string[];
  /** The goal: at most this many times the bare node's median; none for the reference itself. */
  goal?: number;
  /** Checks the output, so that a fast failure is not counted as a fast start. */
  check?: (stdout: string) => void;
}

/** ResNet-50's MACs at 1x3x224x224 (tests/cli.test.ts asserts the same figure). */
const RESNET50_MACS = 3_857_973_248;

function cases(bin: string): Case[] {
  // A .ts file runs as `node --import tsx FILE`, the way tsx runs it (without tsx's own wrapper process).
  const run = bin.endsWith('.ts')
    ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, bin]
    : [bin];
  return [
    { name: 'node -e ""', args: ['-e', ''] },
    {
      name: 'bottleneck-studio --help',
      args: [...run, '--help'],
      goal: 3,
      check: (out) => {
        if (!out.includes('Usage: bottleneck-studio')) throw new Error('--help printed no usage');
      },
    },
    {
      name: 'bottleneck-studio cost resnet50 --json',
      args: [...run, 'cost', 'resnet50', '--json'],
      goal: 5,
      check: (out) => {
        const macs = (JSON.parse(out) as { totals: { macs: number } }).totals.macs;
        if (macs !== RESNET50_MACS) throw new Error(`cost resnet50: ${macs} MACs, expected ${RESNET50_MACS}`);
      },
    },
  ];
}

function timeOnce(c: Case): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  c.check?.(r.stdout);
  return ms;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function main(): void {
  const { rounds, bin } = parseArgs(process.argv.slice(2));
  const defaultBin = join(root, 'bin/bottleneck-studio.mjs');
  if (bin === defaultBin && !existsSync(join(root, 'dist/main/cli/index.js'))) {
    console.log('dist/main/cli/index.js is missing: building it (node scripts/build-main.mjs)');
    const b = spawnSync(process.execPath, [join(root, 'scripts/build-main.mjs')], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) process.exit(1);
  }
  const all = cases(bin);
  const cpus = os.cpus();
  console.log('CLI startup: each command a fresh process, spawn to exit, rotated order per round');
  console.log(`  rounds      ${rounds} (plus one warm-up round, not counted)`);
  console.log(`  command     ${relative(root, bin) || bin} (node ${process.version})`);
  console.log(
    `  machine     ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} logical CPUs, ${os.platform()} ${os.arch()}`,
  );
  console.log(
    `  load        ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (1, 5, 15 min) at start`,
  );

  for (const c of all) timeOnce(c); // warm-up: the file cache, the first compile cache
  const samples = all.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++)
    for (let k = 0; k < all.length; k++) {
      const i = (k + r) % all.length;
      samples[i].push(timeOnce(all[i]));
    }

  const medians = samples.map((s) =>
    quantile(
      [...s].sort((a, b) => a - b),
      0.5,
    ),
  );
  const base = medians[0];
  console.log(
    `  load        ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the end\n`,
  );
  console.log(`${'command'.padEnd(42)}${'median'.padStart(10)}${'p25'.padStart(9)}${'p75'.padStart(9)}   ratio   goal`);
  let failed = 0;
  all.forEach((c, i) => {
    const sorted = [...samples[i]].sort((a, b) => a - b);
    const ratio = medians[i] / base;
    const verdict = c.goal === undefined ? '' : ratio <= c.goal ? `<= ${c.goal}x  pass` : `<= ${c.goal}x  FAIL`;
    if (c.goal !== undefined && ratio > c.goal) failed++;
    console.log(
      `${c.name.padEnd(42)}${`${medians[i].toFixed(1)} ms`.padStart(10)}${quantile(sorted, 0.25).toFixed(1).padStart(9)}` +
        `${quantile(sorted, 0.75).toFixed(1).padStart(9)}   ${`${ratio.toFixed(2)}x`.padEnd(8)}${verdict}`,
    );
  });
  console.log(failed ? `\n${failed} goal(s) missed` : '\nall goals met');
  if (failed) process.exitCode = 1;
}

main();
