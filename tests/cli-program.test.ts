// main/cli/program.ts loads only the module of the command being run; the other commands are
// stand-ins built from COMMAND_GROUPS. These tests keep that table true to the real modules (a
// renamed command, a new option or a reworded description fails here with what to change) and
// the lazy program's help identical to the program with everything loaded.
import { Command, Help } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { COMMAND_GROUPS, commandNameOf, fullProgram, programFor } from '../main/cli/program.js';
import { cliArgsOf, cliArgv, headlessSwitches } from '../main/app/headless.js';

const help = new Help();
const summary = (cmd: Command) => ({
  name: cmd.name(),
  term: help.subcommandTerm(cmd),
  description: cmd.description(),
});

describe('the CLI program', () => {
  it('COMMAND_GROUPS lists exactly what each command module registers', async () => {
    for (const group of COMMAND_GROUPS) {
      const program = new Command();
      (await group.load())(program);
      expect(program.commands.map(summary), `COMMAND_GROUPS entry for ${group.commands[0].name}`).toEqual(
        group.commands,
      );
    }
    const names = COMMAND_GROUPS.flatMap((g) => g.commands.map((c) => c.name));
    expect(new Set(names).size).toBe(names.length);
  });

  it('the root help is the same with stand-ins as with every module loaded', async () => {
    const lazy = await programFor(['node', 'bottleneck-studio']);
    const full = await fullProgram();
    expect(lazy.helpInformation()).toBe(full.helpInformation());
    expect(lazy.helpInformation()).toContain('cost [options] <target>');
  });

  it('loads the module of the command being run and no other', async () => {
    const program = await programFor(['node', 'bottleneck-studio', 'cost', 'resnet50', '--json']);
    const byName = new Map(program.commands.map((c) => [c.name(), c]));
    // The real cost command has its options; a stand-in has none.
    expect(byName.get('cost')!.options.map((o) => o.long)).toContain('--json');
    expect(byName.get('bench')!.options).toEqual([]);
    expect(byName.get('zoo')!.options).toEqual([]);
    // Both commands of the catalog module are real when one of them runs.
    const zoo = await programFor(['node', 'bottleneck-studio', 'help', 'zoo']);
    const real = zoo.commands.filter((c) => c.options.length > 0).map((c) => c.name());
    expect(real).toEqual(['blocks', 'zoo']);
  });

  it('a stand-in that is run after all runs the real command', async () => {
    // programFor with no command builds stand-ins only; parsing `zoo --json` on it runs a stand-in.
    const program = await programFor(['node', 'bottleneck-studio']);
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    try {
      await program.parseAsync(['zoo', '--json'], { from: 'user' });
    } finally {
      write.mockRestore();
    }
    expect(JSON.parse(out.join('')).models.map((m: { name: string }) => m.name)).toContain('resnet50');
  });

  it('picks the command as commander does: the first operand, or the one after help', () => {
    expect(commandNameOf([])).toBeUndefined();
    expect(commandNameOf(['--help'])).toBeUndefined();
    expect(commandNameOf(['cost', 'resnet50', '--json'])).toBe('cost');
    expect(commandNameOf(['-h', 'cost'])).toBe('cost');
    expect(commandNameOf(['help', 'results'])).toBe('results');
    expect(commandNameOf(['help'])).toBeUndefined();
    expect(commandNameOf(['results', 'list', '--json'])).toBe('results');
  });
});

describe('the desktop app as a command line (main/app/headless.ts)', () => {
  it('takes everything after --cli as the command line, and nothing without it', () => {
    expect(cliArgsOf(['/opt/Bottleneck Studio/bottleneck-studio-app'])).toBeUndefined();
    expect(cliArgsOf(['/opt/app', '--no-sandbox'])).toBeUndefined();
    expect(cliArgsOf(['/opt/app', '--cli'])).toEqual([]);
    // The packaged binary: argv[0] then the arguments.
    expect(cliArgsOf(['/opt/app', '--cli', 'cost', 'resnet50', '--json'])).toEqual(['cost', 'resnet50', '--json']);
    // `electron dist/main/app/electron-main.js ...`: the script path comes first; switches before --cli are Chromium's.
    expect(cliArgsOf(['electron', 'dist/main/app/electron-main.js', '--disable-gpu', '--cli', 'hw', '--cli'])).toEqual([
      'hw',
      '--cli',
    ]);
    expect(cliArgv(['cost', 'x'])).toEqual(['bottleneck-studio', 'bottleneck-studio', 'cost', 'x']);
  });

  it('runs without a GPU process, and on Linux without a display unless a platform was chosen', () => {
    expect(headlessSwitches(['app', '--cli', 'hw'], 'linux')).toEqual([
      ['disable-gpu'],
      ['ozone-platform', 'headless'],
    ]);
    expect(headlessSwitches(['app', '--cli', 'hw'], 'darwin')).toEqual([['disable-gpu']]);
    expect(headlessSwitches(['app', '--cli', 'hw'], 'win32')).toEqual([['disable-gpu']]);
    expect(headlessSwitches(['app', '--ozone-platform=x11', '--cli', 'hw'], 'linux')).toEqual([['disable-gpu']]);
    // After --cli it is the command's argument, not Chromium's.
    expect(headlessSwitches(['app', '--cli', 'x', '--ozone-platform=x11'], 'linux')).toContainEqual([
      'ozone-platform',
      'headless',
    ]);
  });
});
