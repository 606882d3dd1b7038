// Throttled views of fast-changing data, so that charts redraw at most a few times a second.
import { onBeforeUnmount, shallowRef, watch, type Ref, type WatchSource } from 'vue';

/**
 * A ref that follows `source` but takes a new value at most once per `ms` (the latest value wins;
 * the last change always lands). Uses requestAnimationFrame when present so updates land on a frame.
 */
export function useThrottled<T>(source: WatchSource<T>, ms = 200, initial?: T): Ref<T> {
  const read = () => (typeof source === 'function' ? (source as () => T)() : (source as Ref<T>).value);
  const out = shallowRef<T>(initial ?? read()) as Ref<T>;
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const apply = () => {
    timer = undefined;
    last = Date.now();
    const v = read();
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => (out.value = v));
    else out.value = v;
  };
  watch(
    source,
    () => {
      if (timer) return;
      const wait = Math.max(0, ms - (Date.now() - last));
      timer = setTimeout(apply, wait);
    },
    { deep: false },
  );
  onBeforeUnmount(() => timer && clearTimeout(timer));
  return out;
}
