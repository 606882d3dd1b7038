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
  /** Width class suffix: the column gets `vtable__col--<width>`. */
  width?: 'xs' | 's' | 'm' | 'l';
}
