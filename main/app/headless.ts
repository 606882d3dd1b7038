// The desktop app as a command line: started with --cli, the app runs the same program as the
// `bottleneck-studio` command (main/cli/program.ts) with no window, and exits with its exit code:
//
//   bottleneck-studio-app --cli cost resnet50 --json            (the packaged app's binary)
//   electron dist/main/app/electron-main.js --cli bench pointwise
//
// So a machine with only the packaged app (no Node, no npm) can still run every command.
// electron-main.ts wires these pieces to Electron; they are plain functions, tested under Node.

export const CLI_FLAG = '--cli';

/**
 * The command line's arguments when the app was started with --cli: everything after the first
 * --cli (Chromium's and Electron's own switches go before it). Undefined for a normal start.
 */
export function cliArgsOf(argv: readonly string[]): string[] | undefined {
  const i = argv.indexOf(CLI_FLAG);
  return i === -1 ? undefined : argv.slice(i + 1);
}

/** process.argv's shape for commander (parsed with from: 'node'): two leading entries, then the arguments. */
export function cliArgv(args: readonly string[]): string[] {
  return ['bottleneck-studio', 'bottleneck-studio', ...args];
}

/**
 * Chromium switches for a run that opens no window (appended before the app is ready): no GPU
 * process, and on Linux Ozone's headless platform, so that a machine with no X server or Wayland
 * display (a server, CI) runs the command instead of failing on the display. A platform chosen on
 * the command line (before --cli) is left alone.
 */
export function headlessSwitches(argv: readonly string[], platform: NodeJS.Platform): [string, string?][] {
  const switches: [string, string?][] = [['disable-gpu']];
  const before = argv.slice(0, Math.max(0, argv.indexOf(CLI_FLAG)));
  const chosen = before.some((a) => a === '--ozone-platform' || a.startsWith('--ozone-platform='));
  if (platform === 'linux' && !chosen) switches.push(['ozone-platform', 'headless']);
  return switches;
}
