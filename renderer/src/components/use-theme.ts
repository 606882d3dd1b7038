// The theme as shown ('light' | 'dark'), read from <html data-theme> (set by stores/settings.ts) and
// kept current with a MutationObserver, so components can follow it without a store.
import { readonly, ref, type Ref } from 'vue';

let shown: Ref<'light' | 'dark'> | undefined;

const read = (): 'light' | 'dark' =>
  typeof document !== 'undefined' && document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';

export function useShownTheme(): Readonly<Ref<'light' | 'dark'>> {
  if (shown) return readonly(shown);
  const theme = ref(read());
  shown = theme;
  if (typeof MutationObserver !== 'undefined' && typeof document !== 'undefined')
    new MutationObserver(() => (theme.value = read())).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ['data-theme'],
    });
  return readonly(theme);
}
