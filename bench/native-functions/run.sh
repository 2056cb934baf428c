#!/usr/bin/env bash
# Measures what running a chain of TensorFlow ops as ONE TensorFlow function (one eager op) would save over
# running them one by one, as tfjs-node does: the evidence for fusing kernels on the native engine (issues 14, 15).
# A prototype measurement, not used by the runtime: in a scratch directory it copies the installed
# @tensorflow/tfjs-node (built by `npm run setup:native`, wheel route), applies binding.patch (an `addFunctionDef`
# that calls TFE_ContextAddFunctionDef), rebuilds the binding, makes the FunctionDefs with TensorFlow's Python API
# (the tensorflow_cpu wheel setup:native downloaded, into a scratch venv) and runs measure.mjs.
# Usage: bash bench/native-functions/run.sh [scratch dir]     (about 5 minutes; writes bench/out/native-functions-*.json)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/bench/native-functions
SCRATCH=${1:-$(mktemp -d)}
WHEEL=$(ls "$ROOT"/.cache/tfwheel/tensorflow_cpu-*.whl 2>/dev/null | head -1)
[ -n "$WHEEL" ] && [ -f node_modules/@tensorflow/tfjs-node/binding/tfjs_backend.cc ] || {
  echo "run.sh: needs the native backend built from the wheel (npm run setup:native on the wheel route)" >&2; exit 1; }

mkdir -p "$SCRATCH/node_modules/@tensorflow"
rm -rf "$SCRATCH/node_modules/@tensorflow/tfjs-node"
cp -r node_modules/@tensorflow/tfjs-node "$SCRATCH/node_modules/@tensorflow/tfjs-node"
for d in node_modules/@tensorflow/*; do
  [ "$(basename "$d")" = tfjs-node ] || ln -sfn "$ROOT/$d" "$SCRATCH/node_modules/@tensorflow/$(basename "$d")"
done
for d in node_modules/*; do
  n=$(basename "$d"); case $n in @tensorflow|.bin) ;; *) [ -e "$SCRATCH/node_modules/$n" ] || ln -s "$ROOT/$d" "$SCRATCH/node_modules/$n";; esac
done
(cd "$SCRATCH/node_modules/@tensorflow/tfjs-node" && patch -p1 < "$HERE/binding.patch" > "$SCRATCH/patch.log" \
  && "$ROOT/node_modules/.bin/node-pre-gyp" rebuild --build-from-source --nodedir=/usr > "$SCRATCH/build.log" 2>&1)

index_args=()
for d in /opt/pypi/simple /opt/pypi-more/simple; do
  [ -d "$d" ] && { [ ${#index_args[@]} -eq 0 ] && index_args+=(--index-url "file://$d") || index_args+=(--extra-index-url "file://$d"); }
done
[ -x "$SCRATCH/venv/bin/python" ] || python3 -m venv "$SCRATCH/venv"
"$SCRATCH/venv/bin/pip" install -q ${index_args[@]+"${index_args[@]}"} "$WHEEL" > "$SCRATCH/pip.log" 2>&1
mkdir -p "$SCRATCH/functions"
TF_CPP_MIN_LOG_LEVEL=3 "$SCRATCH/venv/bin/python" "$HERE/make_functions.py" "$SCRATCH/functions" 2> "$SCRATCH/python.log"

cp "$HERE/measure.mjs" "$SCRATCH/measure.mjs"
mkdir -p bench/out
OUT=bench/out/native-functions-$(date -u +%Y-%m-%dT%H-%M-%SZ).json
(cd "$SCRATCH" && TF_CPP_MIN_LOG_LEVEL=3 node measure.mjs "$SCRATCH/functions") 2> "$SCRATCH/measure.log" | tee "$OUT"
echo "[native-functions] written to $OUT" >&2
