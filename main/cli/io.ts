import { StudioError } from '../../shared/graph/types.js';

/** Writes one JSON document to stdout: the only thing on stdout in --json mode. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printText(text: string): void {
  process.stdout.write(text + '\n');
}

export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/**
 * Runs a command's action; a user error (StudioError) becomes one clear line on stderr and
 * exit code 2, anything else is reported as an internal error with exit code 1.
 */
export function action<A extends unknown[]>(fn: (...args: A) => void | Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof StudioError) {
        process.stderr.write(`error: ${err.message}\n`);
        process.exitCode = 2;
      } else {
        const e = err as Error;
        process.stderr.write(`internal error: ${e?.message ?? String(err)}\n`);
        if (process.env.STUDIO_DEBUG) process.stderr.write(`${e?.stack}\n`);
        process.exitCode = 1;
      }
    }
  };
}
