// `agent`: a headless fleet agent on this machine (docs/FLEET.md). It takes benchmark jobs meant for
// its name or one of its tags from the team's database, one at a time, runs each in an isolated
// worker and saves the results there with this machine's profile. SIGINT/SIGTERM stop it cleanly
// (the running job is cancelled, marked 'agent stopped'); it then exits 0.
import type { Command } from 'commander';
import { StudioError } from '../../../shared/ir/types.js';
import { Agent } from '../../fleet/agent.js';
import { checkName, DEFAULT_LIMITS } from '../../fleet/contract.js';
import { MachineService } from '../../services/machine.js';
import { databaseUrlOf, openResultsRepository } from '../../services/open-results.js';
import { defaultResultsDir, rooflineDir } from '../../store/paths.js';
import { RooflineStore } from '../../store/roofline-store.js';
import { action, terminalSafe } from '../io.js';

interface AgentCliOptions {
  db?: string;
  name: string;
  tags?: string;
  results: string;
  heartbeat?: string;
  staleAfter?: string;
  poll?: string;
  maxModelBytes?: string;
  maxTimeLimit?: string;
}

const seconds = (text: string | undefined, flag: string): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new StudioError(`${flag} must be a positive number of seconds, got '${text}'`, 'bad-parameter');
  return n * 1000;
};

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description(
      "run a fleet agent: take benchmark jobs for this agent's name or tags from the team's database, one at a time",
    )
    .requiredOption('--name <name>', "this agent's name (jobs sent with --on NAME come here)")
    .option('--tags <list>', 'tags this agent serves, e.g. cuda,laptop (jobs sent with --on tag:TAG)')
    .option('--db <url>', "the team's PostgreSQL database (postgres://user:password@host/db); default: BOTTLENECK_DB")
    .option(
      '--results <dir>',
      'local folder: spool of results not yet saved, model cache, kept roofline',
      defaultResultsDir(),
    )
    .option('--heartbeat <s>', 'seconds between heartbeats (default 5)')
    .option('--stale-after <s>', 'an agent silent this long is taken for dead and its job retried (default 30)')
    .option('--poll <s>', 'seconds between looks for a job while idle (default 1)')
    .option(
      '--max-model-bytes <n>',
      `largest model file this agent downloads (default ${DEFAULT_LIMITS.maxModelBytes})`,
    )
    .option(
      '--max-time-limit <s>',
      `longest job time limit this agent accepts (default ${DEFAULT_LIMITS.maxTimeLimitS})`,
    )
    .action(
      action(async (opts: AgentCliOptions) => {
        const url = databaseUrlOf({ db: opts.db });
        if (!url) throw new StudioError('agent needs --db URL (or BOTTLENECK_DB)', 'bad-parameter');
        const name = checkName(opts.name, '--name');
        const tags = (opts.tags ?? '')
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
          .map((t) => checkName(t, '--tags'));
        const maxModelBytes = opts.maxModelBytes === undefined ? undefined : Number(opts.maxModelBytes);
        if (maxModelBytes !== undefined && !(Number.isInteger(maxModelBytes) && maxModelBytes > 0))
          throw new StudioError(
            `--max-model-bytes must be a positive integer, got '${opts.maxModelBytes}'`,
            'bad-parameter',
          );
        const maxTimeLimit = seconds(opts.maxTimeLimit, '--max-time-limit');
        const staleAfterMs = seconds(opts.staleAfter, '--stale-after');
        const heartbeatMs = seconds(opts.heartbeat, '--heartbeat');
        const pollMs = seconds(opts.poll, '--poll');
        const log = (line: string) => process.stderr.write(terminalSafe(`${new Date().toISOString()} ${line}`) + '\n');
        const repository = await openResultsRepository({ db: url, dir: opts.results });
        const machine = new MachineService({ rooflines: new RooflineStore(rooflineDir(opts.results)) });
        const agent = new Agent({
          db: url,
          name,
          tags,
          dir: opts.results,
          repository,
          machine: () => machine.resultsProfile(),
          timings: {
            ...(heartbeatMs ? { heartbeatMs } : {}),
            ...(staleAfterMs ? { staleAfterMs, reapMs: staleAfterMs / 3 } : {}),
            ...(pollMs ? { pollMs } : {}),
          },
          limits: {
            ...(maxModelBytes ? { maxModelBytes } : {}),
            ...(maxTimeLimit ? { maxTimeLimitS: maxTimeLimit / 1000 } : {}),
          },
          log,
        });
        try {
          await agent.start();
        } catch (e) {
          await agent.stop();
          throw e;
        }
        const onSignal = (signal: NodeJS.Signals) => {
          log(`agent ${name}: ${signal}: stopping (the running job, if any, is cancelled: 'agent stopped')`);
          void agent.stop();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          await agent.run();
          await agent.stop();
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        log(`agent ${name}: stopped`);
      }),
    );
}
