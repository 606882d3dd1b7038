// The application menu's template: entries, accelerators, development-only items and the commands
// it forwards to the renderer.
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { aboutText, menuTemplate, type MenuOptions } from '../main/app/menu.js';

const build = (over: Partial<MenuOptions> = {}) => {
  const command = vi.fn();
  const about = vi.fn();
  const template = menuTemplate({
    appName: 'Bottleneck Studio',
    version: '0.1.0',
    isMac: false,
    isDev: false,
    command,
    about,
    ...over,
  });
  return { template, command, about };
};

const sub = (t: MenuItemConstructorOptions[], label: string) =>
  (t.find((m) => m.label?.replace('&', '') === label)?.submenu ?? []) as MenuItemConstructorOptions[];
const roles = (items: MenuItemConstructorOptions[]) => items.map((i) => i.role).filter(Boolean);
const click = (item: MenuItemConstructorOptions | undefined) => (item!.click as unknown as () => void)();

describe('menu template', () => {
  it('has File, Edit, View, Window and Help menus', () => {
    expect(build().template.map((m) => m.label)).toEqual(['&File', '&Edit', '&View', '&Window', '&Help']);
  });

  it('File: Open Model…, Export Report…, Import Report… and Quit with their accelerators', () => {
    const file = sub(build().template, 'File');
    const items = file.filter((i) => i.type !== 'separator').map((i) => [i.label, i.accelerator, i.role]);
    expect(items).toEqual([
      ['Open Model…', 'CmdOrCtrl+O', undefined],
      ['Export Report…', 'CmdOrCtrl+E', undefined],
      ['Import Report…', 'CmdOrCtrl+I', undefined],
      ['Quit', 'Ctrl+Q', 'quit'],
    ]);
  });

  it('the file entries forward their command to the renderer', () => {
    const { template, command } = build();
    const file = sub(template, 'File');
    for (const id of ['open-model', 'export-report', 'import-report']) click(file.find((i) => i.id === id));
    expect(command.mock.calls).toEqual([['open-model'], ['export-report'], ['import-report']]);
  });

  it('Edit uses the standard roles', () => {
    expect(roles(sub(build().template, 'Edit'))).toEqual([
      'undo',
      'redo',
      'cut',
      'copy',
      'paste',
      'delete',
      'selectAll',
    ]);
  });

  it('View: zoom and full screen always, reload and developer tools only in development', () => {
    const prod = roles(sub(build().template, 'View'));
    expect(prod).toEqual(['resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']);
    const dev = roles(sub(build({ isDev: true }).template, 'View'));
    expect(dev).toEqual([
      'reload',
      'forceReload',
      'toggleDevTools',
      'resetZoom',
      'zoomIn',
      'zoomOut',
      'togglefullscreen',
    ]);
    // No devtools anywhere in production.
    expect(JSON.stringify(build().template)).not.toMatch(/DevTools|reload/i);
  });

  it('Help: About with the version, which opens the about box', () => {
    const { template, about } = build();
    const help = sub(template, 'Help');
    expect(help.map((i) => i.label)).toEqual(['About Bottleneck Studio 0.1.0']);
    click(help[0]);
    expect(about).toHaveBeenCalledTimes(1);
  });

  it('on macOS: the app menu first with About and Quit (Cmd+Q), File ends in Close', () => {
    const { template } = build({ isMac: true });
    expect(template[0].label).toBe('Bottleneck Studio');
    const appMenu = template[0].submenu as MenuItemConstructorOptions[];
    expect(appMenu.find((i) => i.role === 'quit')?.accelerator).toBe('Cmd+Q');
    expect(appMenu[0].label).toBe('About Bottleneck Studio');
    const file = sub(template, 'File');
    expect(file.at(-1)?.role).toBe('close');
    expect(roles(sub(template, 'Window'))).toEqual(['minimize', 'zoom', 'front']);
  });

  it('no accelerator is used twice', () => {
    for (const isMac of [false, true]) {
      const accels: string[] = [];
      const walk = (items: MenuItemConstructorOptions[]) => {
        for (const i of items) {
          if (typeof i.accelerator === 'string') accels.push(i.accelerator);
          if (Array.isArray(i.submenu)) walk(i.submenu);
        }
      };
      walk(build({ isMac, isDev: true }).template);
      expect(new Set(accels).size).toBe(accels.length);
    }
  });

  it('the about text names the version and the runtime versions', () => {
    const t = aboutText({
      appName: 'Bottleneck Studio',
      version: '0.1.0',
      versions: { electron: '39.2.0', chrome: '142', node: '22.20', v8: '14.2' },
    });
    expect(t.message).toBe('Bottleneck Studio 0.1.0');
    expect(t.detail).toContain('Electron 39.2.0');
    expect(aboutText({ appName: 'A', version: '1', versions: {} }).detail).toContain('Electron ?');
  });
});
