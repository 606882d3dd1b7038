// The application menu's commands (Electron: main sends 'app.menu'; shared/contract/api.ts
// MENU_COMMANDS). The renderer owns the views, so it carries them out: switch to the view, then
// run the same flow as the view's own button.
import { onBeforeUnmount, onMounted } from 'vue';
import type { MenuCommand } from '../../../shared/contract/api.js';
import { getApi } from '../api/index.js';
import { useModelsStore } from '../stores/models.js';
import { useResultsStore } from '../stores/results.js';
import { useSettingsStore } from '../stores/settings.js';

export const NOTHING_TO_EXPORT =
  'Nothing to export: select the results to report in the table below, then choose Export report again.';

/** Carries out one menu command. */
export async function runMenuCommand(command: MenuCommand): Promise<void> {
  const settings = useSettingsStore();
  switch (command) {
    case 'open-model': {
      const view = settings.setView('models');
      useModelsStore().requestOpen(settings.mode);
      await view;
      return;
    }
    case 'export-report': {
      const view = settings.setView('results');
      const results = useResultsStore();
      if (results.selectedIds.length === 0) {
        // A message, not an error: the list's refresh (the view may be mounting) clears errors.
        results.message = NOTHING_TO_EXPORT;
      } else {
        await results.exportResults('html');
      }
      await view;
      return;
    }
    case 'import-report': {
      const view = settings.setView('results');
      useResultsStore().requestImport();
      await view;
      return;
    }
  }
}

/** Listens to 'app.menu' while the calling component (the app shell) is mounted. */
export function useMenuCommands(): void {
  let off: (() => void) | undefined;
  onMounted(() => {
    try {
      off = getApi().on('app.menu', (p) => void runMenuCommand(p.command));
    } catch {
      off = undefined;
    }
  });
  onBeforeUnmount(() => off?.());
}
