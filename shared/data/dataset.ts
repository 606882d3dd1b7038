// A labeled image data set, preprocessed into the NCHW float32 tensors a model reads. The contract
// between the data sources (main/data/: IDX files, image folders), the accuracy evaluation and the
// bottleneck-feature lab. Pure types and the preprocessing description: no Node, no DOM.

// The preprocessing and data-set records cross process and file boundaries: their schemas live in
// the contract (shared/contract/dataset.ts), which imports nothing but zod.
export { DatasetInfoSchema, PreprocessSchema, type DatasetInfo, type Preprocess } from '../contract/dataset.js';
import type { DatasetInfo } from '../contract/dataset.js';

/** A batch of preprocessed images: NCHW float32, and their labels (class indices). */
export interface LabeledBatch {
  images: Float32Array;
  labels: Int32Array;
  /** Images in this batch. */
  count: number;
}

/** An opened, preprocessed data set. Implementations: main/data/. */
export interface LabeledDataset {
  info: DatasetInfo;
  /**
   * Images [start, start + count) in a fixed order: IDX, the files' order (train before test for
   * 'all'); image folders, round-robin over the classes with each class's files sorted by name, so
   * that the first N (--limit) hold every class.
   */
  read(start: number, count: number): Promise<LabeledBatch>;
}
