// Where the benchmark results are: the local results folder or a team's PostgreSQL database
// (results.source), and the setting that chooses (settings.resultsDatabase). Main connects before it
// saves a URL and refuses with the reason when it cannot; a URL sent back as settings.get showed it
// (without the password) keeps the saved password.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ResultsSourceView } from '../../../shared/contract/api.js';
import { errorMessage, getApi } from '../api/index.js';

export const useResultsSourceStore = defineStore('results-source', () => {
  const source = ref<ResultsSourceView | null>(null);
  /** The saved URL as main shows it (no password), '' for the folder. */
  const saved = ref('');
  /** The URL field. */
  const url = ref('');
  const busy = ref(false);
  const loading = ref(false);
  /** Why main refused the URL (the setting was not saved). */
  const refusal = ref<string | null>(null);
  /** The source could not be read at all. */
  const error = ref<string | null>(null);
  const message = ref<string | null>(null);
  const isDatabase = computed(() => source.value?.kind === 'postgres');

  async function load(): Promise<void> {
    loading.value = true;
    const api = getApi();
    try {
      const [src, settings] = await Promise.all([
        api.call('results.source', {}),
        api.call('settings.get', {}).catch(() => null),
      ]);
      source.value = src;
      const now = settings?.resultsDatabase ?? '';
      // The field follows the saved URL unless the user is typing another one.
      if (!url.value || url.value === saved.value) url.value = now;
      saved.value = now;
      error.value = null;
    } catch (e) {
      error.value = `Where the results are could not be read: ${errorMessage(e)}`;
    } finally {
      loading.value = false;
    }
  }

  async function set(resultsDatabase: string, done: string): Promise<boolean> {
    busy.value = true;
    message.value = null;
    try {
      await getApi().call('settings.set', { resultsDatabase });
      refusal.value = null;
      url.value = '';
      await load();
      message.value = done;
      return true;
    } catch (e) {
      refusal.value = errorMessage(e);
      return false;
    } finally {
      busy.value = false;
    }
  }

  /** Connects to the database at `to` (main tries it first; its refusal is kept in `refusal`). */
  async function connect(to: string = url.value): Promise<boolean> {
    const wanted = to.trim();
    if (!wanted) {
      refusal.value = 'Enter a PostgreSQL URL (postgres://user@host:5432/database) first.';
      return false;
    }
    return set(wanted, 'Connected: the results are read from and saved to the database.');
  }

  /** Back to the local results folder. */
  function useFolder(): Promise<boolean> {
    return set('', 'The local results folder is in use.');
  }

  return { source, saved, url, busy, loading, refusal, error, message, isDatabase, load, connect, useFolder };
});
