// Doyensec's electronegativity (the Electron misconfiguration scanner) over the TypeScript sources of
// main/, through its programmatic API: its CLI does not start here (it gets the hoisted commander 14
// instead of its own 2.x) and it fetches translations and Electron's release list from the network.
// So the runner is called directly, with `got` (its only HTTP client) replaced by a stub that refuses,
// and the one check that needs the network (AvailableSecurityFixesGlobalCheck: the latest Electron
// releases) left out; the Electron version comes from package.json instead.
//
// Any HIGH or MEDIUM finding fails the test unless tests/electronegativity-allow.json lists its check
// and file, with the number of occurrences and the reason it is a false positive or accepted; an
// entry that matches nothing fails too. The summary (checks run, findings by severity) is printed.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCAN_DIR = join(root, 'main');

interface Issue {
  id: string;
  file: string;
  location: { line: number; column: number };
  severity: { name: string; value: number };
  confidence: { name: string };
  manualReview: boolean;
  description: string;
}

interface RunResult {
  globalChecks: number;
  atomicChecks: number;
  errors: { file: string; message: string; tolerable: boolean }[];
  issues: Issue[];
}

interface AllowEntry {
  check: string;
  file: string;
  occurrences: number;
  reason: string;
}

const allowList = (
  JSON.parse(readFileSync(join(root, 'tests/electronegativity-allow.json'), 'utf8')) as { allow: AllowEntry[] }
).allow;

const gotCalls: string[] = [];
let result: RunResult;
let findings: (Issue & { path: string })[];

/** The runner, with its HTTP client stubbed out before anything of the package loads it. */
function offlineRunner(): (options: Record<string, unknown>) => Promise<RunResult> {
  const pkgRequire = createRequire(require_resolve('@doyensec/electronegativity/package.json'));
  const gotPath = pkgRequire.resolve('got');
  const refuse = (url: unknown) => {
    gotCalls.push(String(url));
    return Promise.reject(new Error('electronegativity runs offline in the tests'));
  };
  pkgRequire.cache[gotPath] = {
    id: gotPath,
    filename: gotPath,
    loaded: true,
    exports: Object.assign(refuse, { default: refuse }),
  } as unknown as NodeJS.Module;
  return pkgRequire('./dist/runner.js') as (options: Record<string, unknown>) => Promise<RunResult>;
}

function require_resolve(id: string): string {
  return createRequire(import.meta.url).resolve(id);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

const posix = (p: string) => p.split(sep).join('/');
const gating = (i: Issue) => i.severity.name === 'HIGH' || i.severity.name === 'MEDIUM';

beforeAll(async () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const electronVersion = pkg.devDependencies.electron!.replace(/^[^\d]*/, '');
  const run = offlineRunner();
  result = await run({
    input: SCAN_DIR,
    // TypeScript sources, parsed by the scanner's babel with its typescript plugin.
    parserPlugins: ['typescript'],
    excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
    electronVersionOverride: electronVersion,
    isRelative: false,
  });
  findings = result.issues.map((i) => ({ ...i, path: posix(relative(root, i.file)) }));

  const bySeverity = new Map<string, number>();
  for (const i of findings) bySeverity.set(i.severity.name, (bySeverity.get(i.severity.name) ?? 0) + 1);
  const lines = [
    `electronegativity over main/ (${tsFiles(SCAN_DIR).length} TypeScript files, Electron ${electronVersion}):`,
    `  checks run: ${result.atomicChecks} atomic + ${result.globalChecks} global`,
    `  findings by severity: ${
      ['HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'].map((s) => `${s} ${bySeverity.get(s) ?? 0}`).join(', ') || 'none'
    }`,
    ...findings.map(
      (i) =>
        `  ${i.severity.name.padEnd(13)} ${i.confidence.name.padEnd(9)} ${i.id} ${i.path}:${i.location.line}${
          gating(i)
            ? allowList.some((a) => a.check === i.id && a.file === i.path)
              ? ' (allow-listed)'
              : ' (NOT ALLOWED)'
            : ''
        }`,
    ),
    `  parse errors: ${result.errors.length}; network requests attempted (all refused): ${gotCalls.length}`,
  ];
  console.log(lines.join('\n'));
}, 120_000);

describe('electronegativity over main/', () => {
  it('ran its checks over every TypeScript file without a parse error', () => {
    expect(result.atomicChecks).toBeGreaterThan(30);
    expect(result.globalChecks).toBeGreaterThan(0);
    // A file the scanner cannot parse is a file it did not check.
    expect(result.errors.filter((e) => !e.tolerable)).toEqual([]);
    // It saw the Electron files (the window, the openExternal calls): the scan is not vacuous.
    expect(findings.some((i) => i.path === 'main/app/electron-main.ts')).toBe(true);
  });

  it('reached nothing on the network (only the translations fetch was tried, and refused)', () => {
    for (const url of gotCalls) expect(url).toMatch(/electronegativity-i18n/);
  });

  it('has no HIGH or MEDIUM finding outside the allow-list', () => {
    const allowed = (i: Issue & { path: string }) => allowList.some((a) => a.check === i.id && a.file === i.path);
    const unexpected = findings
      .filter((i) => gating(i) && !allowed(i))
      .map((i) => `${i.severity.name} ${i.id} at ${i.path}:${i.location.line}: ${i.description}`);
    expect(unexpected).toEqual([]);
  });

  it('every allow-list entry explains itself and still matches exactly its findings', () => {
    for (const a of allowList) {
      expect(a.reason.length, `${a.check} ${a.file}`).toBeGreaterThan(40);
      const n = findings.filter((i) => i.id === a.check && i.path === a.file).length;
      // A new occurrence needs its own review; a vanished one means the entry can go.
      expect(n, `${a.check} in ${a.file}`).toBe(a.occurrences);
    }
  });
});
