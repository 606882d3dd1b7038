// Calibration inputs from a labeled data set: real images, preprocessed exactly as the
// evaluation preprocesses them, instead of seeded random tensors. int8 ranges calibrated on the
// data the model will see clip far less of what matters than ranges from uniform noise.
import type { LabeledDataset } from '../../shared/data/dataset.js';
import { StudioError } from '../../shared/ir/types.js';
import type { HostTensor } from '../backends/backend.js';

export interface DatasetCalibration {
  /** Batches of the model's input shape, `batch` images each (the last one padded by repeating images). */
  feeds: AsyncIterable<HostTensor[]>;
  /** What the result records: which images calibrated the ranges. */
  describe: () => string;
}

/**
 * The first `images` images of `dataset` (a training split: calibrating on the test images would
 * tune the ranges to the data the accuracy is measured on), as inputs named `inputName` of shape
 * [batch, C, H, W].
 */
export function datasetFeeds(
  dataset: LabeledDataset,
  opts: { inputName: string; batch: number; images: number },
): DatasetCalibration {
  const [c, h, w] = dataset.info.imageShape;
  const per = c * h * w;
  const total = Math.min(opts.images, dataset.info.count);
  if (total < 1)
    throw new StudioError(
      `the calibration data ${dataset.info.source} (${dataset.info.split} split) has no images`,
      'bad-parameter',
    );
  let used = 0;
  async function* feeds(): AsyncIterable<HostTensor[]> {
    for (let start = 0; start < total; start += opts.batch) {
      const count = Math.min(opts.batch, total - start);
      const b = await dataset.read(start, count);
      const data = new Float32Array(opts.batch * per);
      // A short last batch is filled with its own images again: duplicates do not move a min-max
      // range and barely move a histogram, where zeros would add values the data never has.
      for (let i = 0; i < opts.batch; i++)
        data.set(b.images.subarray((i % b.count) * per, ((i % b.count) + 1) * per), i * per);
      used += count;
      yield [{ name: opts.inputName, dtype: 'float32', shape: [opts.batch, c, h, w], data }];
    }
  }
  return {
    feeds: feeds(),
    describe: () =>
      `${used} images of ${dataset.info.source} (${dataset.info.split} split, the first ${used}), preprocessed as the evaluation is`,
  };
}
