// Column description of VirtualTable.vue.
export interface VirtualColumn<R> {
  key: string;
  label: string;
  /** The value sorted by (and shown, unless `format` is given). */
  value: (row: R) => string | number | boolean | undefined;
  format?: (row: R) => string;
  numeric?: boolean;
  sortable?: boolean;
  /** Header tooltip. */
  title?: string;
  /** A width class suffix (the column gets `vtable__col--<width>`), or a CSS length ("5.5rem"). */
  width?: 'xs' | 's' | 'm' | 'l' | `${number}${'rem' | 'px' | 'em' | '%'}`;
  /** A cell's tooltip (default: its text, so that a cut-off value can still be read). */
  tooltip?: (row: R) => string;
}

export const WIDTH_CLASSES = ['xs', 's', 'm', 'l'] as const;
