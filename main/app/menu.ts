// The application menu as a pure template (Menu.buildFromTemplate takes it in electron-main.ts),
// so that its entries and accelerators are tested without Electron. The file commands are the
// renderer's to carry out (it owns the views and the API calls): the menu only names them, and
// main forwards the name to the window as { event: 'app.menu', payload: { command } }.
import type { MenuItemConstructorOptions } from 'electron';

import { MENU_COMMANDS, type MenuCommand } from '../../shared/contract/api.js';

export { MENU_COMMANDS, type MenuCommand };

export interface MenuOptions {
  appName: string;
  version: string;
  /** process.platform === 'darwin': the app menu and the Window menu's roles differ there. */
  isMac: boolean;
  /** Development only: reload and developer tools. */
  isDev: boolean;
  /** Forwards a command to the window (see ipc.ts MENU_EVENT). */
  command: (command: MenuCommand) => void;
  /** Shows the About box. */
  about: () => void;
}

export function menuTemplate(o: MenuOptions): MenuItemConstructorOptions[] {
  const cmd = (command: MenuCommand) => () => o.command(command);
  const template: MenuItemConstructorOptions[] = [];
  if (o.isMac)
    template.push({
      label: o.appName,
      submenu: [
        { label: `About ${o.appName}`, click: o.about },
        { type: 'separator' },
        { role: 'services' },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        { role: 'quit', accelerator: 'Cmd+Q' },
      ],
    });
  template.push(
    {
      label: '&File',
      submenu: [
        { id: 'open-model', label: 'Open Model…', accelerator: 'CmdOrCtrl+O', click: cmd('open-model') },
        { type: 'separator' },
        { id: 'export-report', label: 'Export Report…', accelerator: 'CmdOrCtrl+E', click: cmd('export-report') },
        { id: 'import-report', label: 'Import Report…', accelerator: 'CmdOrCtrl+I', click: cmd('import-report') },
        { type: 'separator' },
        // 'close' on macOS (the app menu has Quit), 'quit' elsewhere.
        o.isMac ? { role: 'close' } : { id: 'quit', role: 'quit', label: 'Quit', accelerator: 'Ctrl+Q' },
      ],
    },
    {
      label: '&Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'delete' },
        { type: 'separator' },
        { role: 'selectAll' },
      ],
    },
    {
      label: '&View',
      submenu: [
        // Reloading loses the page's state and the dev tools expose the API to whoever has them
        // open: both are development tools, not features.
        ...(o.isDev
          ? ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as const)
          : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: '&Window',
      role: 'window',
      submenu: o.isMac
        ? [{ role: 'minimize' }, { role: 'zoom' }, { type: 'separator' }, { role: 'front' }]
        : [{ role: 'minimize' }, { role: 'close' }],
    },
    {
      label: '&Help',
      role: 'help',
      submenu: [{ id: 'about', label: `About ${o.appName} ${o.version}`, click: o.about }],
    },
  );
  return template;
}

/** The About box's text. */
export function aboutText(o: { appName: string; version: string; versions: Record<string, string | undefined> }): {
  message: string;
  detail: string;
} {
  const v = o.versions;
  return {
    message: `${o.appName} ${o.version}`,
    detail: [
      'Benchmarks convolutional building blocks and whole CNNs.',
      '',
      `Electron ${v.electron ?? '?'} · Chromium ${v.chrome ?? '?'} · Node ${v.node ?? '?'} · V8 ${v.v8 ?? '?'}`,
    ].join('\n'),
  };
}
