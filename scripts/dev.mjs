// `npm run dev`: the renderer from Vite's dev server (hot reload) inside Electron. Builds the main
// side once (esbuild, a second), starts Vite on 127.0.0.1:5173 and Electron with
// VITE_DEV_SERVER_URL pointing at it (main/app/electron-main.ts accepts only a loopback http URL).
// Changes to main/ need a restart. Without the Electron binary it says so and exits 1, as start.mjs.
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { buildMain } from './build-main.mjs';
import { electronBinary, missingElectronMessage } from './start.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const URL_ = 'http://127.0.0.1:5173/';

const bin = electronBinary();
if (bin.error) {
  process.stderr.write(missingElectronMessage(bin.error));
  process.exit(1);
}
await buildMain({ outdir: resolve(root, 'dist') });

const { createServer } = await import('vite');
const server = await createServer({ configFile: resolve(root, 'vite.config.ts') });
await server.listen();
server.printUrls();

const env = { ...process.env, VITE_DEV_SERVER_URL: URL_ };
delete env.ELECTRON_RUN_AS_NODE;
const electron = spawn(bin.path, [root], { cwd: root, stdio: 'inherit', env });
const stop = async (code) => {
  await server.close();
  process.exit(code);
};
electron.on('exit', (code) => void stop(code ?? 0));
electron.on('error', (e) => {
  process.stderr.write(missingElectronMessage(`it could not be started: ${e.message}`));
  void stop(1);
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => electron.kill(s));
