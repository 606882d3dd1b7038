#!/usr/bin/env node
// The studio's command line: the same engine as the app, headless. The program is program.ts;
// this file runs it (npm run cli, and the built dist/main/cli/index.js behind
// bin/bottleneck-studio.mjs).
import { runCli } from './program.js';

await runCli(process.argv);
