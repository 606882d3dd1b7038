// The comparisons the seed discussions ask about, as named target lists. The first target of
// each is the reference the others are divided by.
export interface SeedComparison {
  name: string;
  question: string;
  seeds: string[];
  targets: string[];
}

export const SEED_COMPARISONS: readonly SeedComparison[] = [
  {
    name: 'fc-vs-pointwise',
    question: 'A 1x1 convolution 14x14x152 -> 64 versus a fully connected layer 14x14x152 -> 512',
    seeds: ['000'],
    targets: ['fc-vs-pointwise:mode=fc', 'fc-vs-pointwise:mode=pointwise'],
  },
  {
    name: 'basic-vs-bottleneck',
    question: 'Two 3x3 convolutions at 64-d versus the 1x1-3x3-1x1 bottleneck at 256-d (56x56)',
    seeds: ['001'],
    targets: ['basic-residual', 'bottleneck'],
  },
  {
    name: 'inception-naive-vs-reduced',
    question: 'Inception(3a) on 28x28x192 without and with the 1x1 reductions',
    seeds: ['000', '003'],
    targets: ['inception-naive', 'inception'],
  },
  {
    name: 'inception-factorized-5x5',
    question:
      'Inception-v3 module A (35x35x192): its double-3x3 branch against one 5x5 in its place (the module keeps its other branches)',
    seeds: ['002'],
    targets: ['inception-factorized:module=A,factorize=false', 'inception-factorized:module=A,factorize=true'],
  },
  {
    name: 'inception-factorized-7x7',
    question: 'Inception-v3 module B (17x17x768): 7x7 convolutions against 1x7 followed by 7x1',
    seeds: ['002'],
    targets: ['inception-factorized:module=B,factorize=false', 'inception-factorized:module=B,factorize=true'],
  },
  {
    name: 'standard-vs-separable',
    question: 'A standard 3x3 convolution 728 -> 728 versus depthwise 3x3 + pointwise 1x1 (19x19)',
    seeds: ['002'],
    targets: ['separable:mode=standard', 'separable:mode=separable'],
  },
  {
    name: 'gap-vs-fc-head',
    question: 'Flatten + FC versus global average pooling + FC on 7x7x2048',
    seeds: ['000', '002'],
    targets: ['head-fc', 'head-gap'],
  },
  {
    name: 'reduce-then-conv',
    question: 'A 4x4 convolution 256 -> 256 versus a 1x1 reduction to 64 first (the 3.7x pair)',
    seeds: ['003'],
    targets: ['reduce-then-conv:mode=direct', 'reduce-then-conv:mode=reduced'],
  },
];

export function findSeedComparison(name: string): SeedComparison | undefined {
  return SEED_COMPARISONS.find((c) => c.name === name);
}
