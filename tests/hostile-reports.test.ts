// Untrusted reports and result files (issue 9, "Hardening"): every file is validated against the
// versioned schema; a newer or unknown version is reported, never misread; a damaged, empty, huge
// or odd file is named and skipped while everything else loads; strings from files are data (the
// HTML report escapes them and allows only its own scripts, by hash; the renderer has no v-html).
import { createHash } from 'node:crypto';
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFileName, importResultsText } from '../main/store/import-text.js';
import { renderReport } from '../main/reports/index.js';
import { reportCsp, reportPolicy } from '../main/reports/html.js';
import { MAX_REPORT_FILE_BYTES, MAX_RESULT_FILE_BYTES, readTextFile } from '../main/store/result-check.js';
import { ResultsStore } from '../main/store/results-store.js';
import { fakeResult } from './helpers/fake-results.js';
import {
  BAD_FILES,
  PAYLOADS,
  hostile,
  hostileResults,
  reportText,
  writeHostileFolder,
} from './helpers/hostile-results.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'studio-hostile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a results folder with damaged, foreign, newer, empty, huge and odd files', () => {
  it('loads every good result and lists each problem by file name, reading no huge file', () => {
    const folder = join(dir, 'results');
    const good = writeHostileFolder(folder, 50);
    const store = new ResultsStore(folder);
    const started = performance.now();
    const { results, problems } = store.load();
    // Reading 200 MB (or blocking on the FIFO) would take far longer than 50 small files.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(results.map((r) => r.id).sort()).toEqual(good);
    const why = Object.fromEntries(problems.map((p) => [p.file, p.reason]));
    expect(Object.keys(why).sort()).toEqual(Object.keys(BAD_FILES).sort());
    for (const [file, reason] of Object.entries(BAD_FILES)) expect(why[file], file).toMatch(reason);
    // The summaries too, and a result asked for by id says why its file cannot be read.
    expect(store.list().results).toHaveLength(50);
    expect(store.list().problems).toHaveLength(Object.keys(BAD_FILES).length);
    expect(() => store.get('newer')).toThrow(
      /newer\.json\) cannot be read: written by a newer Bottleneck Studio \(result schema v2; this one reads v1\)/,
    );
    expect(() => store.get('huge')).toThrow(/huge\.json\) cannot be read: is 200\.0 MB, over the 32\.0 MB limit/);
    expect(() => store.get('empty')).toThrow(/cannot be read: is empty \(0 bytes\)/);
    // Nothing was changed or removed: the files stay for the user to look at.
    expect(readdirSync(folder)).toHaveLength(50 + Object.keys(BAD_FILES).length);
  });

  it('readTextFile checks the size before reading and refuses what is not a regular file', () => {
    const file = join(dir, 'a.json');
    writeFileSync(file, '{"x": 1}');
    expect(readTextFile(file, 8, 'result file')).toEqual({ ok: true, value: '{"x": 1}' });
    expect(readTextFile(file, 7, 'result file')).toEqual({
      ok: false,
      reason: 'is 0.000 MB, over the 0.000 MB limit for a result file; not read',
    });
    expect(readTextFile(join(dir, 'missing.json'), 8, 'report')).toEqual({ ok: false, reason: 'no such file' });
    expect(readTextFile(dir, 8, 'report')).toEqual({ ok: false, reason: 'is a folder, not a report' });
    expect(readTextFile('/dev/zero', 8, 'report')).toEqual({
      ok: false,
      reason: 'is not a regular file, not a report',
    });
    expect(MAX_RESULT_FILE_BYTES).toBe(32 * 1024 * 1024);
    expect(MAX_REPORT_FILE_BYTES).toBe(256 * 1024 * 1024);
  });
});

describe('importing untrusted reports', () => {
  const put = (name: string, content: string) => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  it('keeps hostile strings exactly as they were: data, stored and read back unchanged', () => {
    const store = new ResultsStore(join(dir, 'results'));
    const theirs = hostileResults();
    const outcome = store.importReport(put('hostile.json', reportText(theirs)));
    expect(outcome.added).toEqual(theirs.map((r) => r.id));
    for (const r of theirs) expect(store.get(r.id)).toEqual(r);
    const summary = store.list().results.find((s) => s.id === 'hostile-failed')!;
    expect(summary.failure).toBe(hostile('evil-failure'));
    expect(summary.machine).toBe(hostile('evil-brand'));
  });

  it('reports a newer or unknown version instead of misreading it, and refuses the whole report', () => {
    const store = new ResultsStore(join(dir, 'results'));
    const report = (results: unknown[], extra = {}) =>
      JSON.stringify({ schema: 'bottleneck-studio/report', version: 1, results, ...extra });
    expect(() => store.importReport(put('newer-report.json', report([], { version: 2 })))).toThrow(
      /^newer-report\.json: written by a newer Bottleneck Studio \(report schema v2; this one reads v1\): update the studio to read it$/,
    );
    const newer = { ...fakeResult({ id: 'n1' }), version: 2 };
    expect(() => store.importReport(put('mixed.json', report([fakeResult({ id: 'ok1' }), newer])))).toThrow(
      /^mixed\.json: 1 of 2 results are invalid, nothing was imported: result 2: written by a newer Bottleneck Studio \(result schema v2/,
    );
    expect(() => store.importReport(put('old.json', report([{ ...fakeResult({ id: 'o1' }), version: 0 }])))).toThrow(
      /result 1: unknown result version 0; this studio reads version 1/,
    );
    expect(() => store.importReport(put('one-newer.json', JSON.stringify(newer)))).toThrow(
      /result 1: written by a newer Bottleneck Studio \(result schema v2/,
    );
    expect(store.list().results).toEqual([]);
  });

  it('refuses empty, truncated, folder and oversized report files by name, without reading a huge one', () => {
    const store = new ResultsStore(join(dir, 'results'));
    expect(() => store.importReport(put('empty.json', ''))).toThrow(
      /empty\.json: is empty \(0 bytes\), not a report, nothing was imported/,
    );
    expect(() => store.importReport(put('cut.json', reportText([fakeResult()]).slice(0, 500)))).toThrow(
      /^cut\.json is not a report: not valid JSON \(.*\): the file looks truncated$/,
    );
    mkdirSync(join(dir, 'folder.json'));
    expect(() => store.importReport(join(dir, 'folder.json'))).toThrow(/folder\.json: is a folder, not a report/);
    const huge = join(dir, 'huge.json');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, 300 * 1024 * 1024);
    closeSync(fd);
    const started = performance.now();
    expect(() => store.importReport(huge)).toThrow(
      /huge\.json: is 300\.0 MB, over the 256\.0 MB limit for a report; not read, nothing was imported/,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(store.list().results).toEqual([]);
  });

  it('the API path names the user’s file (never the temporary copy) in what it returns', async () => {
    const store = new ResultsStore(join(dir, 'results'));
    const cache = join(dir, 'cache');
    await expect(importResultsText(store, cache, 'empty.json', '')).rejects.toThrow(
      /^empty\.json is empty \(0 bytes\)/,
    );
    const err = await importResultsText(store, cache, 'broken.json', '{"schema":').then(
      () => '',
      (e: Error) => e.message,
    );
    expect(err).toMatch(/^broken\.json is not a report: not valid JSON/);
    expect(err).not.toContain(cache);
    const outcome = await importResultsText(store, cache, '\u202Egnp.json', reportText(hostileResults()));
    expect(outcome.source).toBe('_gnp.json');
    expect(outcome.added).toHaveLength(3);
    expect(importFileName('../../etc/passwd')).toBe('passwd');
    expect(importFileName('..')).toBe('import.json');
    // Nothing is left behind in the cache.
    expect(readdirSync(join(cache, 'imports'))).toEqual([]);
  });
});

describe('the HTML report with hostile strings', () => {
  const ctx = { createdAt: '2025-06-01T12:00:00.000Z', studioVersion: '0.1.0', title: hostile('evil-title') };
  const html = renderReport(hostileResults(), 'html', ctx);

  it('carries a CSP whose script-src is exactly the hashes of its own inline scripts', () => {
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    expect(meta).not.toBeNull();
    const policy = Object.fromEntries(
      meta![1].split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(policy['default-src']).toEqual(["'none'"]);
    expect(policy['img-src']).toEqual(['data:']);
    expect(policy['style-src']).toEqual(["'unsafe-inline'"]);
    expect(policy['base-uri']).toEqual(["'none'"]);
    expect(policy['form-action']).toEqual(["'none'"]);
    expect(Object.keys(policy).sort()).toEqual([
      'base-uri',
      'default-src',
      'form-action',
      'img-src',
      'script-src',
      'style-src',
    ]);
    // Every executable <script> (not the JSON data block) and nothing else is allowed, by hash.
    const scripts = [...html.matchAll(/<script( [^>]*)?>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(3);
    const executable = scripts.filter((m) => !/type="application\/json"/.test(m[1] ?? '')).map((m) => m[2]);
    expect(executable).toHaveLength(2);
    const hashes = executable.map((code) => `'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`);
    expect(policy['script-src']).toEqual(hashes);
    expect(policy['script-src']).not.toContain("'unsafe-inline'");
    expect(meta![1]).toBe(reportPolicy());
    expect(reportCsp([])).toMatch(/script-src 'none';/);
  });

  it('escapes every payload: no element, attribute or script comes from the data', () => {
    const dataBlock = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1];
    const markup = html.replace(dataBlock, '');
    for (const p of PAYLOADS) {
      if (/[<>"'&]/.test(p)) expect(markup, p).not.toContain(p);
    }
    // Outside the scripts, every tag is the report's own: escaped text holds no "<".
    const tags = markup.replace(/<script>[\s\S]*?<\/script>/g, '<script></script>').match(/<[a-z][^>]*>/gi)!;
    const names = new Set(tags.map((t) => /^<([a-z0-9]+)/i.exec(t)![1].toLowerCase()));
    for (const bad of ['img', 'svg', 'iframe', 'link', 'a', 'object', 'embed', 'base', 'form'])
      expect(names).not.toContain(bad);
    // Attribute values are quoted and data in them has its quotes escaped: what is left are names.
    for (const t of tags)
      expect(t.replace(/"[^"]*"/g, '""'), t.slice(0, 200)).not.toMatch(/\s(on[a-z]+|href|src|srcdoc|style)\s*=/i);
    expect(markup).toContain('&lt;img src=x onerror=&quot;window.__pwned=1;alert(&#39;img&#39;)&quot;&gt;');
    expect(markup.match(/<\/script/gi)).toHaveLength(3);
    expect(markup.match(/<style>/gi)).toHaveLength(1);
    // The data block: JSON with no "<" and no raw line separators (valid JS and HTML either way).
    expect(dataBlock).not.toMatch(/[<\u2028\u2029]/);
    expect(JSON.parse(dataBlock).title).toBe(hostile('evil-title'));
    expect(html).not.toMatch(/https?:\/\/(?!evil\.example)/);
  });
});

describe('the renderer shows data as text', () => {
  const files = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(d, e.name)) : /\.(vue|ts)$/.test(e.name) ? [join(d, e.name)] : [],
    );

  it('renderer/src has no v-html, innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
    const uses = files('renderer/src').flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return [
        ...text.matchAll(
          /v-html|\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(/g,
        ),
      ].map((m) => `${relative('.', f)}: ${m[0]}`);
    });
    expect(uses).toEqual([]);
  });

  it('ESLint forbids v-html in every .vue file', async () => {
    const config = await new ESLint().calculateConfigForFile('renderer/src/views/ResultsView.vue');
    const rule = config.rules['vue/no-v-html'];
    expect([rule].flat()[0]).toBe(2);
    const [result] = await new ESLint().lintText('<template><div v-html="label"></div></template>\n', {
      filePath: 'renderer/src/components/Probe.vue',
    });
    expect(result.messages.map((m) => m.ruleId)).toContain('vue/no-v-html');
  });
});

describe('reasons quote at most a little of what a file holds', () => {
  it('cuts a long foreign schema name in the reason', () => {
    const folder = join(dir, 'results');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'long.json'), JSON.stringify({ schema: 'x'.repeat(1_000_000), version: 1 }));
    const [problem] = new ResultsStore(folder).list().problems;
    expect(problem.file).toBe('long.json');
    expect(problem.reason.length).toBeLessThan(200);
    expect(problem.reason).toMatch(/^not a Bottleneck Studio result \(schema "x+… \(1000002 characters\), expected/);
  });
});
