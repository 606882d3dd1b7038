// Headless Chromium for the tests that open the HTML report in a real browser. Never downloaded
// by Playwright: the system's Chromium is used, and its absence fails the test with the command
// that installs it (scripts/ensure-chromium.mjs runs that command before `npm test`, as root).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const INSTALL_COMMAND = 'apt-get install -y chromium';

export function chromiumPath(): string {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `Chromium is missing (${CHROMIUM_PATH}): install it with \`${INSTALL_COMMAND}\` (as root), ` +
        'or run `node scripts/ensure-chromium.mjs`, or set CHROMIUM_PATH to a Chromium or Chrome binary',
    );
  return CHROMIUM_PATH;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
