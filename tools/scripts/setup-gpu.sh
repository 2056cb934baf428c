#!/usr/bin/env bash
# Install the GPU engine (@tensorflow/tfjs-node-gpu: the runtime's `tensorflow-gpu` backend) where it can install:
# Linux x86-64 with an NVIDIA driver and the CUDA libraries its libtensorflow links against. Elsewhere it stops
# at once and says why (the CPU engine is `npm run setup:native`). Optional, like setup:native: the package is
# installed with --no-save and loaded by `initEngine('tensorflow-gpu' | 'auto')` when present.
# Routes (tools/scripts/setup-native.sh does the work, with the GPU package):
#   1. tfjs-node-gpu's own install script downloads libtensorflow 2.9.1 for CUDA 11.2 / cuDNN 8.1;
#   2. without that download (air-gapped), its binding is built against the CUDA-enabled `tensorflow` wheel of
#      the configured pip index (TF 2.21: CUDA 12 / cuDNN 9, whose libraries must be on the library path, e.g.
#      from `pip install 'tensorflow[and-cuda]'` with LD_LIBRARY_PATH listing site-packages/nvidia/*/lib).
# Then it checks that TensorFlow really placed work on a GPU (the backend's isUsingGpuDevice), else it fails.
# Environment: as setup-native.sh (TFJS_NODE_VERSION, TF_WHEEL_VERSION, PYTHON, SETUP_NATIVE_ROUTE).
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "[setup:gpu] $*"; }
fail() { echo "[setup:gpu] FAILED: $*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] ||
  fail "@tensorflow/tfjs-node-gpu ships only for Linux x86-64; this is $(uname -s) $(uname -m). Use the CPU engine: npm run setup:native"
command -v nvidia-smi >/dev/null 2>&1 ||
  fail "no NVIDIA driver on this machine (nvidia-smi not found), so no CUDA GPU for tfjs-node-gpu. Use the CPU engine: npm run setup:native"
gpus=$(nvidia-smi -L 2>/dev/null || true)
[ -n "$gpus" ] || fail "nvidia-smi lists no GPU. Use the CPU engine: npm run setup:native"
log "GPU(s): $gpus"
log "CUDA libraries on the library path: $( (ldconfig -p 2>/dev/null | grep -oE 'lib(cudart|cublas|cudnn)\.so\.[0-9]+' | sort -u | tr '\n' ' ') || true)"

TFJS_NODE_PACKAGE=@tensorflow/tfjs-node-gpu TF_WHEEL_NAME=tensorflow TFJS_INSTALL_ARGS='gpu download' SETUP_LOG_TAG=setup:gpu \
  bash tools/scripts/setup-native.sh ||
  fail "tfjs-node-gpu did not install (see above): its libtensorflow needs CUDA 11.2 + cuDNN 8.1 (download route) or the CUDA 12 libraries of the tensorflow wheel (wheel route)"

TF_CPP_MIN_LOG_LEVEL=2 TF_FORCE_GPU_ALLOW_GROWTH=true node -e "
  require('@tensorflow/tfjs-node-gpu');
  const tf = require('@tensorflow/tfjs-core');
  const onGpu = tf.backend().isUsingGpuDevice;
  if (!onGpu) { console.error('[setup:gpu] FAILED: tfjs-node-gpu loaded but TensorFlow found no usable GPU (CUDA/cuDNN libraries missing or of the wrong version?)'); process.exit(1); }
  console.log('[setup:gpu] OK: tensorflow backend on the GPU, libtensorflow ' + tf.backend().binding.TF_Version);
"
