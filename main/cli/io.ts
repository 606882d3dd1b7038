import { StudioError } from '../../shared/ir/types.js';

/** Writes one JSON document to stdout: the only thing on stdout in --json mode. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * Text for a terminal: names and reasons come from files (a model, a report, a folder listing), and
 * a control character in them (an ANSI escape, a carriage return) or a bidirectional override could
 * rewrite what the terminal shows. Each becomes a visible escape such as \x1b or \u202e; newlines
 * and tabs stay. (--json output is JSON-escaped instead.)
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export function printText(text: string): void {
  process.stdout.write(terminalSafe(text) + '\n');
}

export function warn(message: string): void {
  process.stderr.write(`warning: ${terminalSafe(message)}\n`);
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
        process.stderr.write(`error: ${terminalSafe(err.message)}\n`);
        process.exitCode = 2;
      } else {
        const e = err as Error;
        process.stderr.write(`internal error: ${terminalSafe(e?.message ?? String(err))}\n`);
        if (process.env.STUDIO_DEBUG) process.stderr.write(`${e?.stack}\n`);
        process.exitCode = 1;
      }
    }
  };
}
