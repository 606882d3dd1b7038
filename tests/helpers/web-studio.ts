/// <reference lib="dom" />
// The studio's web mode for end-to-end tests: the renderer freshly built into a temporary folder,
// the server in-process (tests/helpers/web-server.ts), headless Chromium with one context whose
// requests may reach only the server. Pages log into `problems` (console errors, page errors) and
// `foreign` (any other origin); views are saved as screenshots in test-results/screenshots/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { launchChromium } from './chromium.js';
import { startTestServer, type TestServer } from './web-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHOTS = join(ROOT, 'test-results', 'screenshots');

export type ViewTitle =
  'Hardware' | 'Blocks' | 'Models' | 'Benchmark' | 'Accuracy' | 'Lab' | 'Results' | 'History' | 'Fleet';

export interface WebStudio {
  tmp: string;
  server: TestServer;
  browser: Browser;
  context: BrowserContext;
  problems: string[];
  foreign: string[];
  /** Console errors matching this are expected (a request answered 400 on purpose), not problems. */
  tolerate: RegExp | null;
  /** A new tab on the studio, opened with the token (as the server printed its URL). */
  open(): Promise<Page>;
  /** The whole view: the app scrolls inside <main>, so the window grows to its height for the shot. */
  shot(page: Page, name: string): Promise<void>;
  view(page: Page, name: ViewTitle): Promise<void>;
  close(): Promise<void>;
}

export async function startWebStudio(prefix: string): Promise<WebStudio> {
  const tmp = mkdtempSync(join(tmpdir(), `${prefix}-`));
  mkdirSync(SHOTS, { recursive: true });
  const staticDir = join(tmp, 'renderer');
  await build({
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: staticDir, emptyOutDir: true },
  });
  const server = await startTestServer({ staticDir });
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const problems: string[] = [];
  const foreign: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(server.origin) || url.startsWith(server.origin.replace('http', 'ws'))) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  const studio: WebStudio = {
    tmp,
    server,
    browser,
    context,
    problems,
    foreign,
    tolerate: null,
    async open() {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error' && !studio.tolerate?.test(m.text())) problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.goto(server.url);
      await page.getByRole('navigation', { name: 'Views' }).waitFor();
      return page;
    },
    async shot(page, name) {
      const height = await page.evaluate(() => document.querySelector('main')?.scrollHeight ?? 900);
      await page.setViewportSize({ width: 1440, height: Math.min(Math.max(900, height), 4000) });
      await page.screenshot({ path: join(SHOTS, `${name}.png`) });
      await page.setViewportSize({ width: 1440, height: 900 });
    },
    async view(page, name) {
      await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true }).click();
    },
    async close() {
      await browser.close();
      await server.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
  return studio;
}
