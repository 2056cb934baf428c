#!/usr/bin/env bash
# Install the native TensorFlow CPU backend (@tensorflow/tfjs-node) for the tfjs runtime. Optional: without it
# the runtime uses the WASM backend. Two routes (see packages/runtime-tfjs/README.md):
#   1. the normal one: tfjs-node's install script downloads libtensorflow from Google's storage;
#   2. air-gapped (this machine image): build the N-API binding against the libtensorflow shipped inside the
#      `tensorflow_cpu` wheel of the configured pip index (engine-notes.md, about 850 MB unpacked, ~2 min build),
#      with tfjs-node-graph-functions.patch applied: it adds `binding.addGraphFunction`, with which the runtime runs
#      a whole decoding step as one TensorFlow function (packages/runtime-tfjs/src/engine/native-function.ts), and
#      list(string) attributes, with which it calls oneDNN's fused kernels (src/engine/native-fused.ts).
#      The prebuilt binding of route 1 lacks both; the runtime then runs op by op.
# tfjs-node is installed with --no-save (it is not a dependency: `npm ci` must work where it cannot install), so a
# later `npm install`/`npm ci` may prune it; re-running this script is then quick (the wheel and the built
# binding are cached under .cache/).
# Environment: TFJS_NODE_VERSION (4.22.0), TF_WHEEL_VERSION (2.21.0), PYTHON (python3), SETUP_NATIVE_ROUTE
# (auto | download | wheel). tools/scripts/setup-gpu.sh runs this script for the GPU package with
# TFJS_NODE_PACKAGE=@tensorflow/tfjs-node-gpu, TF_WHEEL_NAME=tensorflow (the CUDA-enabled wheel) and
# TFJS_INSTALL_ARGS='gpu download'.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TFJS_NODE_VERSION=${TFJS_NODE_VERSION:-4.22.0}
TF_WHEEL_VERSION=${TF_WHEEL_VERSION:-2.21.0}
PY=${PYTHON:-python3}
ROUTE=${SETUP_NATIVE_ROUTE:-auto}
TFJS_NODE_PACKAGE=${TFJS_NODE_PACKAGE:-@tensorflow/tfjs-node}
TF_WHEEL_NAME=${TF_WHEEL_NAME:-tensorflow_cpu}
TFJS_INSTALL_ARGS=${TFJS_INSTALL_ARGS:-}
PKG=node_modules/$TFJS_NODE_PACKAGE
CACHE=$ROOT/.cache
WHEEL_DIR=$CACHE/tfwheel
# The CPU defaults keep their original cache paths; another wheel (the GPU one) gets its own.
WHEEL_VARIANT=$([ "$TF_WHEEL_NAME" = tensorflow_cpu ] || echo "-$TF_WHEEL_NAME")
BUILD_ROOT=$CACHE/${TFJS_NODE_PACKAGE#@tensorflow/}-build
BUILD_CACHE=$BUILD_ROOT/$TFJS_NODE_VERSION-tf$TF_WHEEL_VERSION$WHEEL_VARIANT-graphfn3
PATCH=$ROOT/tools/scripts/tfjs-node-graph-functions.patch
TAG=${SETUP_LOG_TAG:-setup:native}

log() { echo "[$TAG] $*"; }

check() {
  TF_CPP_MIN_LOG_LEVEL=2 node -e "
    require('$TFJS_NODE_PACKAGE');
    const tf = require('@tensorflow/tfjs-core');
    if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
    const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync();
    if (y[0] !== 3) throw new Error('wrong matMul result');
    const b = tf.backend().binding;
    const fused = typeof b.addGraphFunction === 'function' && typeof b.allOpDefs === 'function' ? 'with' : 'without';
    console.log('[$TAG] OK: tensorflow backend, libtensorflow ' + tf.backend().binding.TF_Version + ', ' + fused + ' graph functions');
  "
}

# The binding has the functions tfjs-node-graph-functions.patch adds (decoding steps as graph functions).
# PATCH_REVISION: the binding's CLASS_IT_PATCH, which the patch sets (a binding of an older revision is rebuilt).
PATCH_REVISION=2
has_graph_functions() {
  TF_CPP_MIN_LOG_LEVEL=2 node -e "
    require('$TFJS_NODE_PACKAGE');
    const binding = require('@tensorflow/tfjs-core').backend().binding;
    if (typeof binding.addGraphFunction !== 'function' || typeof binding.allOpDefs !== 'function') process.exit(1);
    if (!(binding.CLASS_IT_PATCH >= $PATCH_REVISION)) process.exit(1);
  "
}

# This machine built the binding from a wheel before (any version): it is air-gapped, and a rebuild goes there.
built_from_wheel_here() {
  compgen -G "$BUILD_ROOT/*/lib" >/dev/null
}

# 1. The package itself (no install scripts: they would try the download and fail the whole npm install).
if [ ! -f "$PKG/package.json" ] || [ "$(node -p "require('./$PKG/package.json').version")" != "$TFJS_NODE_VERSION" ]; then
  log "installing $TFJS_NODE_PACKAGE@$TFJS_NODE_VERSION (--no-save --ignore-scripts)"
  npm install --no-save --ignore-scripts --no-audit --no-fund "$TFJS_NODE_PACKAGE@$TFJS_NODE_VERSION" 2>&1 | tail -3
fi
if check >/dev/null 2>&1 && { has_graph_functions || { [ "$ROUTE" != wheel ] && ! built_from_wheel_here; }; }; then
  check; exit 0
fi

# 2a. Normal route: tfjs-node's own install script downloads libtensorflow and the prebuilt binding.
# (Skipped in auto mode when this machine built the binding from a wheel before: the re-run is then quick.)
if [ "$ROUTE" = download ] || { [ "$ROUTE" = auto ] && ! built_from_wheel_here; }; then
  log "route 1: tfjs-node's download (scripts/install.js)"
  # shellcheck disable=SC2086  # TFJS_INSTALL_ARGS is a word list ('gpu download')
  if (cd "$PKG" && timeout 300 node scripts/install.js $TFJS_INSTALL_ARGS) && check; then exit 0; fi
  log "route 1 failed (no access to the libtensorflow download?)"
  [ "$ROUTE" = download ] && exit 1
fi

# 2b. Air-gapped route: libtensorflow from the tensorflow_cpu wheel of the configured pip index.
log "route 2: building the binding against libtensorflow from $TF_WHEEL_NAME==$TF_WHEEL_VERSION"
if ! ls "$WHEEL_DIR"/"$TF_WHEEL_NAME"-"$TF_WHEEL_VERSION"-*.whl >/dev/null 2>&1; then
  mkdir -p "$WHEEL_DIR"
  # Prefer the machine's local index directories when present (no slow retries against an unreachable PyPI).
  index_args=()
  for d in /opt/pypi/simple /opt/pypi-more/simple; do
    if [ -d "$d" ]; then
      if [ ${#index_args[@]} -eq 0 ]; then index_args+=(--index-url "file://$d"); else index_args+=(--extra-index-url "file://$d"); fi
    fi
  done
  "$PY" -m pip download --no-deps --disable-pip-version-check ${index_args[@]+"${index_args[@]}"} -d "$WHEEL_DIR" "$TF_WHEEL_NAME==$TF_WHEEL_VERSION"
fi
X=$WHEEL_DIR/x$WHEEL_VARIANT
if [ ! -f "$X/tensorflow/libtensorflow_cc.so.2" ]; then
  log "unpacking libtensorflow and headers from the wheel"
  unzip -q -o "$WHEEL_DIR"/"$TF_WHEEL_NAME"-"$TF_WHEEL_VERSION"-*.whl 'tensorflow/libtensorflow_cc.so.2' \
    'tensorflow/libtensorflow_framework.so.2' 'tensorflow/include/*' -d "$X"
fi
# The package's deps/ point at the wheel's libtensorflow and headers.
link_libtensorflow() {
  mkdir -p "$PKG/deps/lib"
  rm -rf "$PKG/deps/include"
  ln -sfn "$X/tensorflow/include" "$PKG/deps/include"
  ln -sf "$X/tensorflow/libtensorflow_cc.so.2" "$X/tensorflow/libtensorflow_framework.so.2" "$PKG/deps/lib/"
  ln -sf libtensorflow_cc.so.2 "$PKG/deps/lib/libtensorflow.so"
  ln -sf libtensorflow_framework.so.2 "$PKG/deps/lib/libtensorflow_framework.so"
}
link_libtensorflow

if [ -d "$BUILD_CACHE/lib" ]; then
  log "reusing the binding built earlier ($BUILD_CACHE)"
  cp -r "$BUILD_CACHE/lib/." "$PKG/lib/"
else
  NODEDIR_ARGS=()
  [ -f /usr/include/node/node_api.h ] && NODEDIR_ARGS=(--nodedir=/usr)
  if grep -q AllOpDefs "$PKG/binding/tfjs_binding.cc" && ! grep -q "CLASS_IT_PATCH\", $PATCH_REVISION" "$PKG/binding/tfjs_binding.cc"; then
    log "the binding's sources carry an older revision of $(basename "$PATCH"): reinstalling $TFJS_NODE_PACKAGE"
    rm -rf "$PKG"
    npm install --no-save --ignore-scripts --no-audit --no-fund "$TFJS_NODE_PACKAGE@$TFJS_NODE_VERSION" 2>&1 | tail -3
    link_libtensorflow
  fi
  if ! grep -q AllOpDefs "$PKG/binding/tfjs_binding.cc"; then
    log "applying $(basename "$PATCH")"
    (cd "$PKG" && patch -p1 --forward < "$PATCH")
  fi
  log "compiling the N-API binding (node-pre-gyp, ~2 minutes)"
  (cd "$PKG" && npx --yes node-pre-gyp rebuild --build-from-source "${NODEDIR_ARGS[@]}" 2>&1 | tail -5)
  mkdir -p "$BUILD_CACHE/lib"
  for d in "$PKG"/lib/napi-v*; do cp -r "$d" "$BUILD_CACHE/lib/"; done
fi
check
