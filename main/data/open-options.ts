// What opening a labeled data set takes (open.ts and the two sources it dispatches to share it).
import type { Preprocess } from '../../shared/data/dataset.js';

export interface OpenOptions {
  /**
   * Which images. Default: 'test' where the data has splits (IDX folders, image folders with
   * train/ and test/), else 'all'. Image folders without splits make 'train' / 'test' with a
   * seeded per-class 80/20 split.
   */
  split?: 'train' | 'test' | 'all';
  preprocess: Preprocess;
  /** The first N images of the split (deterministic order). */
  limit?: number;
  /** Class names in label order, instead of the folder names or the known IDX names. */
  classNames?: string[];
  /** Image folders: leave out images that cannot be decoded (counted in info.skipped) instead of failing. */
  skipUnreadable?: boolean;
  /** Image folders without train/ and test/: the seed of the 80/20 split (default 0). */
  seed?: number;
}
