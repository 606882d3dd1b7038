// The Electron main process: wires the plain modules of main/app (each tested in Node without
// the Electron binary) to Electron's objects. Nothing here decides anything worth testing on its
// own: the window's options, the security policy, the IPC checks, the menu, the window state and
// the worker spawner all live in their modules.
//
// Built by scripts/build-main.mjs into dist/main/app/electron-main.js (ESM), next to
// preload.cjs, with the job worker at dist/main/engine/worker.js and the renderer at
// dist/renderer/index.html; the paths below are relative to this file's place in dist/.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeTheme,
  screen,
  session,
  shell,
  utilityProcess,
} from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { measureRooflineInChild } from '../services/roofline.js';
import { createStudioApi } from '../api/studio-api.js';
import { STUDIO_VERSION } from '../machine/profile.js';
import { setDefaultStarter } from '../process/spawner.js';
import { APP_FOLDER, userDataDir } from '../store/paths.js';
import { cliArgsOf, cliArgv, headlessSwitches } from './headless.js';
import { registerIpc, MENU_EVENT, type IpcRegistration } from './ipc.js';
import { aboutText, menuTemplate } from './menu.js';
import { appRootOf, guardWebContents, isAllowedDevServerUrl, secureSession } from './security.js';
import { UtilitySpawner } from './utility-spawner.js';
import { MIN_HEIGHT, MIN_WIDTH, windowOptions, type ResolvedTheme } from './window-options.js';
import { clampBounds, loadWindowState, trackWindowState, WINDOW_STATE_FILE } from './window-state.js';

const here = dirname(fileURLToPath(import.meta.url));
const PRELOAD_PATH = join(here, 'preload.cjs');
const WORKER_PATH = join(here, '..', 'engine', 'worker.js');
const TASK_WORKER_PATH = join(here, '..', 'tasks', 'task-worker.js');
const ROOFLINE_CHILD_PATH = join(here, '..', 'services', 'roofline-child.js');
const RENDERER_INDEX = join(here, '..', '..', 'renderer', 'index.html');
/** How long quitting waits for the API to cancel jobs and kill workers before it quits anyway. */
const DISPOSE_TIMEOUT_MS = 5000;

const log = (msg: string) => console.error(`[bottleneck-studio] ${msg}`);

/** The page to load: the Vite dev server in development (loopback only), else the built renderer. */
function startUrl(): { url: string; dev: boolean } {
  const dev = process.env.VITE_DEV_SERVER_URL;
  if (dev && !app.isPackaged) {
    if (isAllowedDevServerUrl(dev)) return { url: dev, dev: true };
    log(`ignoring VITE_DEV_SERVER_URL=${dev}: only http://127.0.0.1:<port> or http://localhost:<port> is allowed`);
  }
  return { url: pathToFileURL(RENDERER_INDEX).href, dev: false };
}

function run(): void {
  // The CLI and the app share one user-data folder (main/store/paths.ts computes it the way
  // Electron would for "Bottleneck Studio"); set it before anything reads it.
  app.setName(APP_FOLDER);
  app.setPath('userData', userDataDir());

  const start = startUrl();
  const appRoot = appRootOf(start.url);
  let win: BrowserWindow | null = null;
  let ipc: IpcRegistration | undefined;
  let api: ReturnType<typeof createStudioApi> | undefined;
  let disposed = false;

  // Every WebContents the app ever creates (the window's, dev tools', anything a bug might open)
  // gets the navigation, window-open and <webview> guards.
  app.on('web-contents-created', (_e, contents) =>
    guardWebContents(contents, { appRoot: () => appRoot, openExternal: (url) => shell.openExternal(url), log }),
  );

  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  // One window is the app, on macOS too: a studio with no window would keep measuring jobs whose
  // progress nobody sees and whose results nobody asked for, so closing the window cancels the
  // jobs, ends their workers and quits (instead of the macOS convention of staying in the dock).
  app.on('window-all-closed', () => app.quit());

  app.on('before-quit', (event) => {
    if (disposed || !api) return;
    event.preventDefault();
    disposed = true;
    const timeout = new Promise<void>((r) => setTimeout(r, DISPOSE_TIMEOUT_MS));
    void Promise.race([Promise.resolve(api.dispose()), timeout])
      .catch((e: unknown) => log(`shutting down the API failed: ${(e as Error).message}`))
      .finally(() => {
        ipc?.dispose();
        app.quit();
      });
  });
  // Ctrl-C in the terminal of `npm start`: the same orderly shutdown.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  const parentWindow = () => (win && !win.isDestroyed() ? win : undefined);

  app
    .whenReady()
    .then(async () => {
      secureSession(session.defaultSession, { log });
      api = createStudioApi({
        mode: 'electron',
        dataDir: app.getPath('userData'),
        spawner: new UtilitySpawner(utilityProcess, WORKER_PATH),
        taskSpawner: new UtilitySpawner(utilityProcess, TASK_WORKER_PATH),
        // A utility process, not child_process.fork: the app runs with the runAsNode fuse off.
        measureRoofline: () => measureRooflineInChild(new UtilitySpawner(utilityProcess, ROOFLINE_CHILD_PATH)),
        dialogs: {
          openModel: async () => {
            const opts: Electron.OpenDialogOptions = {
              title: 'Open an ONNX model',
              properties: ['openFile'],
              filters: [{ name: 'ONNX models', extensions: ['onnx'] }],
            };
            const w = parentWindow();
            const r = await (w ? dialog.showOpenDialog(w, opts) : dialog.showOpenDialog(opts));
            return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
          },
          openDataFolder: async () => {
            const opts: Electron.OpenDialogOptions = {
              title: 'Open a labeled data set (one sub-folder per class, or MNIST-style IDX files)',
              properties: ['openDirectory'],
            };
            const w = parentWindow();
            const r = await (w ? dialog.showOpenDialog(w, opts) : dialog.showOpenDialog(opts));
            return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
          },
          saveReport: async ({ filename, format }) => {
            const opts: Electron.SaveDialogOptions = {
              title: 'Export report',
              defaultPath: join(app.getPath('documents'), filename),
              filters: [{ name: `${format.toUpperCase()} report`, extensions: [format] }],
            };
            const w = parentWindow();
            const r = await (w ? dialog.showSaveDialog(w, opts) : dialog.showSaveDialog(opts));
            return r.canceled || !r.filePath ? null : r.filePath;
          },
        },
      });
      ipc = registerIpc({ ipcMain, api, getWindow: () => win, appRoot: () => appRoot, log });

      let theme: ResolvedTheme = nativeTheme.shouldUseDarkColors ? 'dark' : 'light';
      try {
        const s = await api.call('settings.get', {});
        if (s.theme !== 'system') theme = s.theme;
      } catch {
        // unreadable settings: the system's theme until the renderer loads them
      }

      const statePath = join(app.getPath('userData'), WINDOW_STATE_FILE);
      const saved = loadWindowState(statePath, log);
      const bounds = saved
        ? clampBounds(
            saved.bounds,
            // The primary display first: clampBounds centres lost windows on the first work area.
            [screen.getPrimaryDisplay(), ...screen.getAllDisplays()].map((d) => d.workArea),
            { width: MIN_WIDTH, height: MIN_HEIGHT },
          )
        : undefined;
      win = new BrowserWindow(windowOptions({ preloadPath: PRELOAD_PATH, theme, bounds, title: app.getName() }));
      if (saved?.maximized) win.maximize();
      if (saved?.fullScreen) win.setFullScreen(true);
      trackWindowState(win, statePath, { log });
      win.once('ready-to-show', () => win?.show());
      win.on('closed', () => {
        win = null;
      });

      const about = () => {
        const text = aboutText({ appName: app.getName(), version: STUDIO_VERSION, versions: process.versions });
        const opts: Electron.MessageBoxOptions = {
          type: 'info',
          title: `About ${app.getName()}`,
          buttons: ['OK'],
          ...text,
        };
        const w = parentWindow();
        void (w ? dialog.showMessageBox(w, opts) : dialog.showMessageBox(opts));
      };
      Menu.setApplicationMenu(
        Menu.buildFromTemplate(
          menuTemplate({
            appName: app.getName(),
            version: STUDIO_VERSION,
            isMac: process.platform === 'darwin',
            isDev: start.dev || !app.isPackaged,
            command: (command) => ipc?.send(MENU_EVENT, { command }),
            about,
          }),
        ),
      );

      if (start.dev) await win.loadURL(start.url);
      else await win.loadFile(RENDERER_INDEX);
    })
    .catch((e: unknown) => {
      const err = e as Error;
      log(`could not start: ${err?.stack ?? String(e)}`);
      dialog.showErrorBox(
        'Bottleneck Studio could not start',
        `${err?.message ?? String(e)}\n\nRun \`npm run build\` and try again.`,
      );
      app.exit(1);
    });
}

/**
 * `--cli <command> ...`: the command line's program, no window (see headless.ts). It takes no
 * single-instance lock: a command run beside the open studio neither focuses it nor stops it.
 */
function runHeadless(args: string[]): void {
  for (const sw of headlessSwitches(process.argv, process.platform)) app.commandLine.appendSwitch(...sw);
  app.disableHardwareAcceleration();
  if (process.platform === 'darwin') app.dock?.hide();
  app
    .whenReady()
    .then(async () => {
      // The workers the commands start (jobs, tasks, the roofline child) go through utilityProcess,
      // as the app's own do: the packaged app's runAsNode fuse is off, so fork would not start Node.
      setDefaultStarter((modulePath, opts) => new UtilitySpawner(utilityProcess, modulePath).start(opts));
      const { runCli } = await import('../cli/program.js');
      const code = await runCli(cliArgv(args));
      // Everything printed reaches the pipe or file before the process ends.
      await Promise.all([process.stdout, process.stderr].map((s) => new Promise((r) => s.write('', r))));
      app.exit(code);
    })
    .catch((e: unknown) => {
      log(`the command line failed: ${(e as Error)?.stack ?? String(e)}`);
      app.exit(1);
    });
}

const cliArgs = cliArgsOf(process.argv);
if (cliArgs) runHeadless(cliArgs);
// A second launch hands over to the running studio (its 'second-instance' focuses the window):
// two studios would measure at the same time and skew each other's numbers.
else if (app.requestSingleInstanceLock()) run();
else app.quit();
