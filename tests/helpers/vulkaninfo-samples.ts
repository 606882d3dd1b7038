// `vulkaninfo --summary` output for the adapter-parsing tests (tests/gpu-adapters.test.ts). LAVAPIPE
// is this project's machine after scripts/ensure-vulkan.mjs (instance extensions cut short); NVIDIA
// (a discrete GPU next to lavapipe) and AMD_INTEGRATED (RADV, the older "4206847 (1.3.255)" version
// format) are written from the same format. Tabs are as vulkaninfo prints them.
export const LAVAPIPE = `==========
VULKANINFO
==========

Vulkan Instance Version: 1.3.239


Instance Extensions: count = 23
-------------------------------
VK_EXT_acquire_drm_display             : extension revision 1
VK_EXT_acquire_xlib_display            : extension revision 1
VK_EXT_debug_report                    : extension revision 10
...

Instance Layers: count = 3
--------------------------
VK_LAYER_INTEL_nullhw       INTEL NULL HW                1.1.73   version 1
VK_LAYER_MESA_device_select Linux device selection layer 1.4.303  version 1
VK_LAYER_MESA_overlay       Mesa Overlay layer           1.4.303  version 1

Devices:
========
GPU0:
\tapiVersion         = 1.4.305
\tdriverVersion      = 0.0.1
\tvendorID           = 0x10005
\tdeviceID           = 0x0000
\tdeviceType         = PHYSICAL_DEVICE_TYPE_CPU
\tdeviceName         = llvmpipe (LLVM 15.0.6, 256 bits)
\tdriverID           = DRIVER_ID_MESA_LLVMPIPE
\tdriverName         = llvmpipe
\tdriverInfo         = Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)
\tconformanceVersion = 1.3.1.1
\tdeviceUUID         = 6d657361-3235-2e30-2e37-2d327e627000
\tdriverUUID         = 6c6c766d-7069-7065-5555-494400000000
`;

export const NVIDIA = `==========
VULKANINFO
==========

Vulkan Instance Version: 1.3.239

...

Devices:
========
GPU0:
\tapiVersion         = 1.3.277
\tdriverVersion      = 550.54.14.0
\tvendorID           = 0x10de
\tdeviceID           = 0x2684
\tdeviceType         = PHYSICAL_DEVICE_TYPE_DISCRETE_GPU
\tdeviceName         = NVIDIA GeForce RTX 4090
\tdriverID           = DRIVER_ID_NVIDIA_PROPRIETARY
\tdriverName         = NVIDIA
\tdriverInfo         = 550.54.14
\tconformanceVersion = 1.3.7.2
\tdeviceUUID         = 4a7d1c2e-93b0-5f1e-8c44-2d6b7e0f9a13
\tdriverUUID         = 2f8d9e61-0b7c-5a3e-a1d4-6c5e8f7b3d20
GPU1:
\tapiVersion         = 1.4.305
\tdriverVersion      = 0.0.1
\tvendorID           = 0x10005
\tdeviceID           = 0x0000
\tdeviceType         = PHYSICAL_DEVICE_TYPE_CPU
\tdeviceName         = llvmpipe (LLVM 15.0.6, 256 bits)
\tdriverID           = DRIVER_ID_MESA_LLVMPIPE
\tdriverName         = llvmpipe
\tdriverInfo         = Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)
\tconformanceVersion = 1.3.1.1
\tdeviceUUID         = 6d657361-3235-2e30-2e37-2d327e627000
\tdriverUUID         = 6c6c766d-7069-7065-5555-494400000000
`;

export const AMD_INTEGRATED = `==========
VULKANINFO
==========

Vulkan Instance Version: 1.3.250

...

Devices:
========
GPU0:
\tapiVersion         = 4206847 (1.3.255)
\tdriverVersion      = 96468995 (0x5c00003)
\tvendorID           = 0x1002
\tdeviceID           = 0x15bf
\tdeviceType         = PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU
\tdeviceName         = AMD Radeon 780M (RADV GFX1103_R1)
\tdriverID           = DRIVER_ID_MESA_RADV
\tdriverName         = radv
\tdriverInfo         = Mesa 23.3.0
\tconformanceVersion = 1.3.0.0
\tdeviceUUID         = 00000000-c500-0000-0000-000000000000
\tdriverUUID         = 414d442d-4d45-5341-2d44-525600000000
`;

/** `nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader`, two GPUs. */
export const NVIDIA_SMI = `NVIDIA GeForce RTX 4090, 550.54.14, 24564 MiB
NVIDIA H200, 550.54.14, 143771 MiB
`;

/**
 * The full `vulkaninfo` output, cut to what the studio reads (device name, 16-bit features, memory
 * heaps): lavapipe as on this project's machine, and a discrete GPU with two heaps, one of them
 * host memory, and no VK_EXT_memory_budget (so no budget lines).
 */
export const FULL = `Device Properties and Extensions:
=================================
GPU0:
VkPhysicalDeviceProperties:
---------------------------
\tapiVersion        = 1.4.305 (4210993)
\tdeviceName        = llvmpipe (LLVM 15.0.6, 256 bits)

VkPhysicalDeviceMemoryProperties:
=================================
memoryHeaps: count = 1
\tmemoryHeaps[0]:
\t\tsize   = 25275973632 (0x5e290c000) (23.54 GiB)
\t\tbudget = 25275973632 (0x5e290c000) (23.54 GiB)
\t\tusage  = 466604032 (0x1bcfd000) (444.99 MiB)
\t\tflags: count = 1
\t\t\tMEMORY_HEAP_DEVICE_LOCAL_BIT
memoryTypes: count = 1
\tmemoryTypes[0]:
\t\theapIndex     = 0

VkPhysicalDevice16BitStorageFeatures:
-------------------------------------
\tstorageBuffer16BitAccess           = true
\tuniformAndStorageBuffer16BitAccess = true
\tstoragePushConstant16              = true
\tstorageInputOutput16               = false

VkPhysicalDeviceShaderFloat16Int8Features:
------------------------------------------
\tshaderFloat16 = true
\tshaderInt8    = true

GPU1:
VkPhysicalDeviceProperties:
---------------------------
\tdeviceName        = NVIDIA GeForce RTX 4090

VkPhysicalDeviceMemoryProperties:
=================================
memoryHeaps: count = 2
\tmemoryHeaps[0]:
\t\tsize   = 25757220864 (0x5ff400000) (23.99 GiB)
\t\tflags: count = 1
\t\t\tMEMORY_HEAP_DEVICE_LOCAL_BIT
\tmemoryHeaps[1]:
\t\tsize   = 33423360000 (0x7c8300000) (31.13 GiB)
\t\tflags:
\t\t\tNone
memoryTypes: count = 2

VkPhysicalDeviceVulkan11Features:
---------------------------------
\tstorageBuffer16BitAccess           = true
\tstorageInputOutput16               = false

VkPhysicalDeviceVulkan12Features:
---------------------------------
\tshaderFloat16                                      = false
`;
