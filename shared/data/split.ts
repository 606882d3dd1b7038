// The seeded train/test split of an image folder that has no train/ and test/ sub-folders: per
// class, a seeded shuffle puts the first 20% (rounded, at least one image when the class has two
// or more) in test and the rest in train, so every class is in both and the split is the same on
// every machine for the same files and seed. Recorded in DatasetInfo.holdout.
import { seededRandom } from '../random.js';

/** The test share of the seeded split. */
export const HOLDOUT_TEST_FRACTION = 0.2;
/** The seed of the split unless one is given. */
export const HOLDOUT_SEED = 0;

/**
 * Which items (by index, one label per item) go to test. Items keep their order within each
 * split; only membership is random.
 */
export function holdoutMask(
  labels: ArrayLike<number>,
  seed = HOLDOUT_SEED,
  testFraction = HOLDOUT_TEST_FRACTION,
): boolean[] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]) ?? [];
    list.push(i);
    byClass.set(labels[i], list);
  }
  const test = Array.from({ length: labels.length }, () => false);
  for (const [label, items] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) {
    const rand = seededRandom((seed * 0x9e3779b1) ^ (label + 1));
    const order = [...items];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const n = items.length < 2 ? 0 : Math.max(1, Math.round(items.length * testFraction));
    for (const i of order.slice(0, n)) test[i] = true;
  }
  return test;
}
