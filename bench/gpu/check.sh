#!/usr/bin/env bash
# GPU check, for a machine with an NVIDIA GPU, in under 5 minutes: what is there (GPU, driver, CUDA libraries, Node,
# tfjs-node-gpu, PyTorch), then gpt2-100m training tokens/s and scoring sentences/s on tfjs-node-gpu (the backend
# actually used is reported: `onGpu` is TensorFlow's own isUsingGpuDevice) and on PyTorch CUDA, side by side, with
# the same workload as bench/model-gpt (8 x 128 tokens a training step; 64 sentences of 12-20 tokens scored).
# Whatever is missing is reported and skipped; the rest is still measured.
#   bash bench/gpu/check.sh [preset]          (default gpt2-100m; also gpt-10m, llama-140m)
# Output: a summary on stdout and the full JSON in bench/out/gpu-check-<time>.json (or $BENCH_OUT/...).
# Setup on such a machine: npm run setup:gpu (tfjs-node-gpu), and a python3 with torch (CUDA) and transformers.
set -uo pipefail
cd "$(dirname "$0")/../.."
PRESET=${1:-gpt2-100m}
STEPS=${GPU_CHECK_STEPS:-5}
REPS=${GPU_CHECK_REPS:-5}
LIMIT=${GPU_CHECK_LIMIT_S:-100} # seconds per measured process: 4 processes stay under 5 minutes with set-up
OUT_DIR=${BENCH_OUT:-bench/out}
mkdir -p "$OUT_DIR"
STAMP=$(date -u +%Y-%m-%dT%H-%M-%SZ)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] && ! "$PY" -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null && PY=.venv/bin/python

say() { echo "[gpu-check] $*" >&2; }
json_or_error() { # file with the last line JSON, else {"error": tail of the log}
  local line; line=$(tail -n 1 "$1" 2>/dev/null)
  if echo "$line" | "$PY" -c 'import json,sys; json.loads(sys.stdin.read())' 2>/dev/null; then echo "$line"
  else "$PY" -c 'import json,sys; print(json.dumps({"error": " | ".join(open(sys.argv[1]).read().strip().splitlines()[-3:]) or "no output"}))' "$1"; fi
}

# 1. What is on this machine.
gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n 1)
cuda_libs=$( (ldconfig -p 2>/dev/null | grep -oE 'lib(cudart|cublas|cudnn)\.so\.[0-9]+' | sort -u | tr '\n' ' ') || true)
node_version=$(node --version 2>/dev/null || echo "")
tfjs_gpu=$( [ -f node_modules/@tensorflow/tfjs-node-gpu/package.json ] && node -p "require('./node_modules/@tensorflow/tfjs-node-gpu/package.json').version" 2>/dev/null || echo "")
torch_info=$("$PY" -c 'import json,torch,transformers; print(json.dumps({"torch": torch.__version__, "transformers": transformers.__version__, "cuda": torch.cuda.is_available(), "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}))' 2>/dev/null || echo '{"error": "no python3 with torch and transformers"}')
say "GPU: ${gpu:-none found (nvidia-smi)}"
say "CUDA libraries: ${cuda_libs:-none on the library path}"
say "node: ${node_version:-not found}; tfjs-node-gpu: ${tfjs_gpu:-not installed (npm run setup:gpu)}; python: $torch_info"

# 2. The shared workload (identical token ids for both engines), written by the bench's own workload.mjs.
if [ -n "$node_version" ] && [ -f packages/model-gpt/dist/index.js ]; then
  node -e "
    import('./bench/model-gpt/workload.mjs').then(({ benchModel, workload }) => {
      const m = benchModel('$PRESET');
      require('fs').writeFileSync('$WORK/workload.json', JSON.stringify({ ...workload(m.vocab), architecture: m.architecture, config: m.config, device: 'cuda', attention: 'eager' }));
    });" || say "could not write the workload with node"
fi
if [ ! -f "$WORK/workload.json" ]; then
  say "no node or no built packages: PyTorch runs on the recorded gpt2-100m workload (bench/gpu/workload-gpt2-100m.json)"
  "$PY" -c 'import json,sys; w=json.load(open(sys.argv[1])); w["device"]="cuda"; json.dump(w, open(sys.argv[2],"w"))' bench/gpu/workload-gpt2-100m.json "$WORK/workload.json"
  PRESET=gpt2-100m
fi

# 3. Measure: tfjs-node-gpu, then PyTorch CUDA, each phase in its own process under a time limit.
results=()
for phase in train score; do
  count=$([ "$phase" = train ] && echo "$STEPS" || echo "$REPS")
  if [ -n "$tfjs_gpu" ]; then
    TF_CPP_MIN_LOG_LEVEL=2 TF_FORCE_GPU_ALLOW_GROWTH=true timeout "$LIMIT" \
      node bench/model-gpt/tfjs-worker.mjs "$PRESET" tensorflow-gpu "$phase" "$count" >"$WORK/tfjs-$phase.log" 2>&1 ||
      echo "exit status $? (124: timed out after ${LIMIT}s)" >>"$WORK/tfjs-$phase.log"
    results+=("\"tfjs-$phase\": $(json_or_error "$WORK/tfjs-$phase.log")")
  else
    results+=("\"tfjs-$phase\": {\"error\": \"@tensorflow/tfjs-node-gpu is not installed (npm run setup:gpu)\"}")
  fi
  if echo "$torch_info" | grep -q '"cuda": true'; then
    timeout "$LIMIT" "$PY" bench/model-gpt/torch_ref.py "$WORK/workload.json" "$phase" "$count" >"$WORK/torch-$phase.log" 2>&1 ||
      echo "exit status $? (124: timed out after ${LIMIT}s)" >>"$WORK/torch-$phase.log"
    results+=("\"pytorch-$phase\": $(json_or_error "$WORK/torch-$phase.log")")
  else
    results+=("\"pytorch-$phase\": {\"error\": \"no PyTorch with a CUDA device ($PY)\"}")
  fi
done

file="$OUT_DIR/gpu-check-$STAMP.json"
{
  echo "{\"date\": \"$STAMP\", \"preset\": \"$PRESET\", \"gpu\": \"$gpu\", \"cudaLibraries\": \"$cuda_libs\", \"node\": \"$node_version\","
  echo " \"tfjsNodeGpu\": \"$tfjs_gpu\", \"python\": $torch_info, \"steps\": $STEPS, \"reps\": $REPS,"
  echo " \"results\": {$(IFS=,; echo "${results[*]}")}}"
} >"$file"
"$PY" - "$file" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"gpu-check {r['preset']} on {r['gpu'] or 'no GPU'} ({r['date']}); full JSON: {sys.argv[1]}")
for engine in ("tfjs", "pytorch"):
    train, score = r["results"][f"{engine}-train"], r["results"][f"{engine}-score"]
    where = ("GPU" if train.get("onGpu") else "CPU (no GPU device!)") if engine == "tfjs" and "error" not in train else train.get("device", "")
    line = f"  {engine:8s} {where:24s}"
    line += f" train {train['trainTokensPerSec']:>9} tok/s" if "trainTokensPerSec" in train else f" train: {train.get('error')}"
    line += f" | score {score['scoreSentencesPerSec']:>8} sent/s" if "scoreSentencesPerSec" in score else f" | score: {score.get('error')}"
    print(line)
EOF
