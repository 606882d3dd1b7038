# The studio's native backend. Each ISA's kernels are a static library compiled with its own flags,
# so that no AVX2/AVX-512 instruction leaks into code that runs on every CPU; the addon itself is
# built for the baseline of the platform (no -march=native) and picks a kernel table at run time.
# Source lists are read from the folders (readdirSync), so adding a .cc file needs no edit here.
{
  'variables': {
    'studio_ls': "node -e \"const d=process.argv[1];const fs=require('fs');process.stdout.write((fs.existsSync(d)?fs.readdirSync(d):[]).filter(f=>f.endsWith('.cc')).sort().map(f=>d+'/'+f).join(' '))\"",
  },
  'target_defaults': {
    'include_dirs': ['src'],
    'cflags!': ['-fno-exceptions', '-O2'],
    'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17'],
    'cflags': ['-O3'],
    'cflags_cc': ['-std=c++17', '-O3', '-fexceptions', '-fvisibility=hidden'],
    'xcode_settings': {
      'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
      'GCC_ENABLE_CPP_RTTI': 'YES',
      'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
      'CLANG_CXX_LIBRARY': 'libc++',
      'GCC_OPTIMIZATION_LEVEL': '3',
      'MACOSX_DEPLOYMENT_TARGET': '11.0',
    },
    'msvs_settings': {
      'VCCLCompilerTool': {
        'ExceptionHandling': 1,
        'Optimization': 2,  # /O2
        'AdditionalOptions': ['/std:c++17'],
      },
    },
    'defines': ['NOMINMAX'],
  },
  'targets': [
    {
      'target_name': 'kernels_scalar',
      'type': 'static_library',
      'sources': ['<!@(<(studio_ls) src/kernels/scalar)'],
    },
    {
      'target_name': 'studio_native',
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all",
        'kernels_scalar',
      ],
      'sources': [
        'src/binding.cc',
        '<!@(<(studio_ls) src/runtime)',
        '<!@(<(studio_ls) src/plan)',
        '<!@(<(studio_ls) src/ops)',
      ],
      'defines': ['STUDIO_NATIVE_VERSION="0.1.0"', 'NAPI_VERSION=8'],
      'conditions': [
        ["target_arch=='x64'", {
          'dependencies': ['kernels_avx2', 'kernels_avx512'],
          'defines': ['STUDIO_HAVE_X86_KERNELS'],
        }],
      ],
    },
  ],
  'conditions': [
    # x86-64 only (Linux, Windows, Intel macOS); arm64 and others build the scalar path alone.
    ["target_arch=='x64'", {
      'targets': [
        {
          'target_name': 'kernels_avx2',
          'type': 'static_library',
          'sources': ['<!@(<(studio_ls) src/kernels/avx2)'],
          'cflags': ['-mavx2', '-mfma'],
          'xcode_settings': {'OTHER_CFLAGS': ['-mavx2', '-mfma']},
          'msvs_settings': {'VCCLCompilerTool': {'AdditionalOptions': ['/arch:AVX2']}},
        },
        {
          'target_name': 'kernels_avx512',
          'type': 'static_library',
          'sources': ['<!@(<(studio_ls) src/kernels/avx512)'],
          'cflags': ['-mavx512f', '-mavx512bw', '-mavx512dq', '-mavx512vl', '-mfma'],
          'xcode_settings': {
            'OTHER_CFLAGS': ['-mavx512f', '-mavx512bw', '-mavx512dq', '-mavx512vl', '-mfma'],
          },
          'msvs_settings': {'VCCLCompilerTool': {'AdditionalOptions': ['/arch:AVX512']}},
        },
      ],
    }],
  ],
}
