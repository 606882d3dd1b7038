// Parameter sets of the catalog blocks and the zoo models at reduced sizes that the agreement tests
// run: native vs ONNX Runtime CPU (tests/native-agreement.test.ts) and ONNX Runtime WebGPU vs CPU
// (tests/gpu-agreement.test.ts). Batch > 1, odd channels, stride 2, dilation, groups.

export const BLOCK_CASES: Record<string, Record<string, string>[]> = {
  conv: [
    { batch: '2', height: '9', width: '7', channels: '5', out: '7', kernel: '3', stride: '2' },
    { height: '10', width: '9', channels: '6', out: '9', kernel: '3', dilation: '2', groups: '3' },
    { height: '11', width: '10', channels: '3', out: '4', kernel: '5', padding: 'valid', bias: 'false' },
    { batch: '3', height: '8', width: '8', channels: '12', out: '12', kernel: '3', stride: '2', groups: '12' },
    { height: '7', width: '6', channels: '4', out: '6', kernel: '3', padding: 'explicit', pad: '2', dilation: '3' },
  ],
  pointwise: [
    { batch: '3', height: '7', width: '7', channels: '19', out: '13' },
    { height: '14', width: '14' },
  ],
  'fc-vs-pointwise': [
    { height: '3', width: '3', channels: '9', units: '17', mode: 'fc' },
    { batch: '2', height: '5', width: '3', channels: '9', out: '11', mode: 'pointwise' },
  ],
  'basic-residual': [
    { batch: '2', height: '9', width: '9', channels: '8', out: '8' },
    { height: '9', width: '8', channels: '6', out: '12', stride: '2' },
    { height: '6', width: '6', channels: '5', out: '5', batchnorm: 'false', bias: 'true' },
  ],
  bottleneck: [
    { height: '8', width: '8', channels: '32', mid: '8', out: '32' },
    { batch: '2', height: '9', width: '9', channels: '16', mid: '7', out: '24', stride: '2', stride_on: '3x3' },
    { height: '7', width: '7', channels: '12', mid: '5', out: '12', projection: 'always' },
  ],
  'inception-naive': [
    { height: '9', width: '9', channels: '12', b1: '5', b3: '7', b5: '3' },
    { batch: '2', height: '6', width: '7', channels: '8', b1: '4', b3: '4', b5: '4', batchnorm: 'true', bias: 'false' },
  ],
  inception: [
    {
      height: '9',
      width: '9',
      channels: '16',
      b1: '8',
      b3_reduce: '6',
      b3: '9',
      b5_reduce: '3',
      b5: '5',
      pool_proj: '4',
    },
    {
      batch: '2',
      height: '7',
      width: '7',
      channels: '10',
      b1: '3',
      b3_reduce: '4',
      b3: '5',
      b5_reduce: '2',
      b5: '3',
      pool_proj: '3',
      b5_kernel: '3',
      batchnorm: 'true',
    },
  ],
  'inception-factorized': [
    { module: 'A', height: '9', width: '9', channels: '16', pool_features: '8' },
    { module: 'B', height: '9', width: '9', channels: '24', c7: '8', batch: '2' },
    { module: 'C', height: '5', width: '5', channels: '32', factorize: 'false' },
  ],
  separable: [
    { height: '9', width: '9', channels: '13', out: '17' },
    {
      batch: '2',
      height: '10',
      width: '10',
      channels: '8',
      out: '12',
      stride: '2',
      depth_multiplier: '2',
      style: 'mobilenet',
    },
    { height: '7', width: '7', channels: '9', out: '10', mode: 'standard', kernel: '5' },
  ],
  'xception-middle': [
    { height: '7', width: '7', channels: '16' },
    { batch: '2', height: '5', width: '6', channels: '24' },
  ],
  'inverted-residual': [
    { height: '9', width: '9', channels: '8', out: '8', expansion: '6' },
    { batch: '2', height: '10', width: '10', channels: '16', out: '24', stride: '2', expansion: '1', kernel: '5' },
  ],
  'head-gap': [
    { height: '7', width: '7', channels: '64', classes: '10' },
    {
      batch: '3',
      height: '3',
      width: '3',
      channels: '24',
      classes: '7',
      hidden: '32',
      hidden_layers: '2',
      softmax: 'true',
    },
  ],
  'head-fc': [
    { height: '3', width: '3', channels: '16', classes: '10' },
    { batch: '2', height: '2', width: '3', channels: '8', classes: '5', hidden: '20', softmax: 'true' },
  ],
  'reduce-then-conv': [
    { height: '9', width: '9', channels: '32', out: '32', reduce: '8', mode: 'direct' },
    { batch: '2', height: '9', width: '8', channels: '32', out: '24', reduce: '8', mode: 'reduced' },
    { height: '8', width: '8', channels: '16', out: '16', reduce: '4', kernel: '3', padding: 'valid' },
  ],
};

/** Every zoo model at a reduced input size (the smallest each allows at or near 64 pixels). */
export const MODEL_CASES: [string, Record<string, string>, string?][] = [
  ['resnet18', { size: '64', classes: '10', batch: '2' }],
  ['resnet34', { size: '64', classes: '10' }],
  ['resnet50', { size: '64', classes: '10' }, 'torchvision'],
  ['resnet101', { size: '64', classes: '10' }],
  ['resnet152', { size: '64', classes: '10' }],
  ['vgg16', { size: '32', classes: '10' }],
  ['vgg19', { size: '32', classes: '10' }],
  ['mobilenet_v1', { size: '64', classes: '10' }],
  ['mobilenet_v2', { size: '64', classes: '10', batch: '2' }],
  ['mobilenet_v2', { size: '64', classes: '10' }, 'torchvision'],
  ['xception', { size: '71', classes: '10' }],
  ['googlenet', { size: '64', classes: '10' }, 'paper'],
  ['googlenet', { size: '64', classes: '10' }, 'torchvision'],
  ['inception_v3', { size: '75', classes: '10' }],
  ['inception_resnet_v2', { size: '75', classes: '10' }],
];
