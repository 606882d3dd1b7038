// `npm run serve`: the studio in a browser on this machine (web mode). Prints the address with its
// access token; closes cleanly on Ctrl-C or SIGTERM (running jobs cancelled, no worker left).
import { spawn } from 'node:child_process';
import { Command, InvalidArgumentError } from 'commander';
import { StudioError } from '../../shared/ir/types.js';
import { STUDIO_VERSION } from '../machine/profile.js';
import { checkLoopbackHost, LOOPBACK_ADDRESSES, startWebServer } from './server.js';

function portNumber(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('give a port from 1 to 65535, or 0 for any free port');
  return n;
}

/** Only a loopback address: refused here, before anything starts, with the reason and what to do. */
function loopbackHost(text: string): string {
  try {
    return checkLoopbackHost(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** Best effort: the platform's "open this URL" command, detached; a failure only prints a hint. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', () => console.error(`could not open a browser (${cmd}); open the address above yourself`));
    child.unref();
  } catch {
    console.error('could not open a browser; open the address above yourself');
  }
}

async function main(): Promise<void> {
  const program = new Command()
    .name('npm run serve --')
    .description('Bottleneck Studio in a browser: serves the built renderer and the API on loopback (127.0.0.1) only')
    .version(STUDIO_VERSION)
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', portNumber, 0)
    .option(
      '--host <address>',
      `loopback address to listen on: ${LOOPBACK_ADDRESSES.join(' or ')}`,
      loopbackHost,
      '127.0.0.1',
    )
    .option('--results <dir>', 'results folder (default: $BOTTLENECK_STUDIO_RESULTS or the app folder)')
    .option('--static <dir>', 'the built renderer to serve (default: dist/renderer)')
    .option('--open', 'open the page in the default browser', false)
    .option('--no-open', 'do not open a browser (the default)')
    .parse();
  const opts = program.opts<{ port: number; host: string; results?: string; static?: string; open: boolean }>();

  const server = await startWebServer({
    port: opts.port,
    host: opts.host,
    resultsDir: opts.results,
    staticDir: opts.static,
  });
  // scripts/start.mjs (`npm start`'s web mode) reads the address from this line: keep its shape.
  console.log(`Bottleneck Studio (web mode) at ${server.url}`);
  console.log(
    `Bound to loopback (${opts.host}) only: reachable from this machine, not from the network. The token in the address is the key; don't share it.`,
  );
  console.log(`Results folder: ${server.api.store.dir}. Press Ctrl-C to stop.`);
  if (opts.open) openBrowser(server.url);

  let stopping = false;
  const stop = (signal: string) => {
    // A second signal ends the process at once.
    if (stopping) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: stopping (cancelling running jobs)...`);
    // A close that hangs still ends the process. This timer can fire: nothing in the studio holds
    // the event loop for long (the job queue gives it a turn every few ms while it drains a
    // cancel of thousands of jobs, and the service's dispose waits at most 5 s).
    const force = setTimeout(() => {
      console.error('could not stop cleanly within 10 s: exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (e: Error) => {
        console.error(`error while stopping: ${e.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: Error) => {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    console.error(`error: the port is already in use: choose another with --port, or --port 0 for any`);
  else console.error(`error: ${e instanceof StudioError ? e.message : (e.stack ?? e.message)}`);
  process.exit(2);
});
