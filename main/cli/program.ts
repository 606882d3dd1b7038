// The command-line program: commander with one module per command group (commands/*.ts), loaded
// lazily. A command module imports what its actions need (ONNX Runtime, sharp, systeminformation,
// the engine, zod schemas...), and loading all of them costs a few hundred milliseconds before
// anything runs. So only the module of the command being run is loaded; the others are stand-ins
// that carry what the root help lists (the term and the description). In the built CLI
// (scripts/build-main.mjs, code splitting) each import() below is its own chunk.
//
// COMMAND_GROUPS must say what each module registers: tests/cli-program.test.ts compares it with
// the real registrations. A stand-in is never run: the command to load is the first operand,
// exactly as commander picks it (the root has no options that take a value); if one ever is,
// it runs the whole program with every module loaded.
import { Command, Help } from 'commander';

export type Register = (program: Command) => void;

/** A command as the root help lists it. */
export interface CommandSummary {
  name: string;
  /** Commander's subcommand term: the name, " [options]" when it has any, its arguments. */
  term: string;
  description: string;
}

export interface CommandGroup {
  /** The top-level commands the module registers, in its order. */
  commands: readonly CommandSummary[];
  load: () => Promise<Register>;
}

/** The root help's order. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  {
    commands: [
      {
        name: 'blocks',
        term: 'blocks [options]',
        description: 'list the block catalog with every parameter and its default',
      },
      {
        name: 'zoo',
        term: 'zoo [options]',
        description: 'list the model zoo with variants and published parameter counts',
      },
    ],
    load: async () => (await import('./commands/catalog.js')).registerCatalog,
  },
  {
    commands: [
      {
        name: 'cost',
        term: 'cost [options] <target>',
        description: 'per-layer analytic costs and totals of a block, a zoo model or an .onnx file',
      },
    ],
    load: async () => (await import('./commands/cost.js')).registerCost,
  },
  {
    commands: [
      {
        name: 'compare',
        term: 'compare [options] [targets...]',
        description: 'side-by-side costs; targets may carry overrides: reduce-then-conv:mode=direct',
      },
    ],
    load: async () => (await import('./commands/compare.js')).registerCompare,
  },
  {
    commands: [
      {
        name: 'export',
        term: 'export [options] <target>',
        description: 'write a block, model or re-read .onnx file as an ONNX file (opset 17)',
      },
    ],
    load: async () => (await import('./commands/export.js')).registerExport,
  },
  {
    commands: [
      {
        name: 'hw',
        term: 'hw [options]',
        description: 'the machine profile every result embeds: CPU, ISA, caches, memory, GPUs, OS, versions',
      },
    ],
    load: async () => (await import('./commands/hw.js')).registerHw,
  },
  {
    commands: [
      {
        name: 'bench',
        term: 'bench [options] [targets...]',
        description: 'measure latency on ONNX Runtime in isolated processes; results are saved as they finish',
      },
    ],
    load: async () => (await import('./commands/bench.js')).registerBench,
  },
  {
    commands: [
      {
        name: 'agent',
        term: 'agent [options]',
        description:
          "run a fleet agent: take benchmark jobs for this agent's name or tags from the team's database, one at a time",
      },
    ],
    load: async () => (await import('./commands/agent.js')).registerAgent,
  },
  {
    commands: [
      {
        name: 'fleet',
        term: 'fleet [options]',
        description: "the team's benchmark agents (name, tags, machine, last seen, busy or idle) and queue depths",
      },
    ],
    load: async () => (await import('./commands/fleet.js')).registerFleet,
  },
  {
    commands: [
      {
        name: 'backends',
        term: 'backends [options]',
        description:
          'execution providers: available here or not, and why (detected by trying each one), and the graphics adapters',
      },
    ],
    load: async () => (await import('./commands/backends.js')).registerBackends,
  },
  {
    commands: [
      {
        name: 'results',
        term: 'results',
        description:
          'list, show, export, import, delete and compare saved results; push and pull them to a database; history and regressions',
      },
    ],
    load: async () => (await import('./commands/results.js')).registerResults,
  },
  {
    commands: [
      {
        name: 'verify',
        term: 'verify [options] <path>',
        description:
          'run ONNX test data (model.onnx + test_data_set_N/, or NAME.onnx + NAME_output_0.pb with the ramp input, or a folder of them) on a backend and compare with the expected outputs',
      },
    ],
    load: async () => (await import('./commands/verify.js')).registerVerify,
  },
  {
    commands: [
      {
        name: 'compare-backends',
        term: 'compare-backends [options] <target>',
        description:
          'the same seeded random inputs and weights through several backends: the largest differences per output, against the first backend',
      },
    ],
    load: async () => (await import('./commands/compare-backends.js')).registerCompareBackends,
  },
  {
    commands: [
      {
        name: 'precision',
        term: 'precision [options] <target>',
        description: 'fidelity of the fp16 and int8 variants against fp32 on ONNX Runtime CPU (no timing)',
      },
    ],
    load: async () => (await import('./commands/precision.js')).registerPrecision,
  },
  {
    commands: [
      {
        name: 'accuracy',
        term: 'accuracy [options] <target>',
        description:
          'top-1 / top-5 accuracy, per-class accuracy, the confusion matrix and images per second of a classifier (a block, a zoo model or an .onnx file) on labeled data (an image folder with one sub-folder per class, or MNIST-style IDX files)',
      },
    ],
    load: async () => (await import('./commands/accuracy.js')).registerAccuracy,
  },
  {
    commands: [
      {
        name: 'lab',
        term: 'lab [options]',
        description:
          "bottleneck-feature lab: cache a frozen base's features over labeled data, train heads (gap, fc, mlp) on them, export base + head as ONNX",
      },
    ],
    load: async () => (await import('./commands/lab.js')).registerLab,
  },
];

/**
 * The command commander will run for these arguments (process.argv without the node binary and
 * the script): the first operand, or the one after `help`. Undefined for the root help.
 */
export function commandNameOf(args: readonly string[]): string | undefined {
  const operands = args.filter((a) => !a.startsWith('-'));
  if (operands[0] === 'help') return operands[1];
  return operands[0];
}

function rootCommand(): Command {
  return new Command()
    .name('bottleneck-studio')
    .description('Bottleneck Studio: analytic costs, comparisons and ONNX export of CNN blocks and models')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

/** The program with every command module loaded (what a stand-in falls back to, and the tests' reference). */
export async function fullProgram(): Promise<Command> {
  const program = rootCommand();
  const registers = await Promise.all(COMMAND_GROUPS.map((g) => g.load()));
  for (const register of registers) register(program);
  return program;
}

/**
 * The program for these arguments (process.argv: the node binary, the script, then the CLI's
 * own): the module of the command being run is loaded, every other command is a stand-in.
 */
export async function programFor(argv: readonly string[]): Promise<Command> {
  const wanted = commandNameOf(argv.slice(2));
  const program = rootCommand();
  const terms = new Map<Command, string>();
  const defaultHelp = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd) ?? defaultHelp.subcommandTerm(cmd) });
  for (const group of COMMAND_GROUPS) {
    if (wanted !== undefined && group.commands.some((c) => c.name === wanted)) {
      (await group.load())(program);
      continue;
    }
    for (const c of group.commands) {
      const standIn = program
        .command(c.name)
        .description(c.description)
        .helpOption(false)
        .allowUnknownOption()
        .allowExcessArguments()
        .action(async (...actionArgs: unknown[]) => {
          // The command object comes last; its args are everything after its name, in order.
          const self = actionArgs[actionArgs.length - 1] as Command;
          const full = await fullProgram();
          await full.parseAsync([c.name, ...self.args], { from: 'user' });
        });
      terms.set(standIn, c.term);
    }
  }
  return program;
}

/**
 * Runs the command line on these arguments (process.argv's shape: two entries, then the CLI's
 * own) and resolves with the exit code it set (commands set process.exitCode; commander exits by
 * itself on bad usage and after --help).
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = await programFor(argv);
  // from: 'node' always: under Electron (the app's --cli) commander would otherwise guess the
  // layout of process.argv, and the app passes a node-shaped argv (headless.ts cliArgv).
  await program.parseAsync([...argv], { from: 'node' });
  return typeof process.exitCode === 'number' ? process.exitCode : Number(process.exitCode ?? 0);
}
