// The bench workers' engine argument: a tfjs backend name, optionally with suffixes that switch off one native
// speed-up for a same-run comparison (they set the runtime's switches before the engine starts):
//   -opbyop   graph functions off (CLASS_IT_NATIVE_FUNCTIONS=0: decoding steps and training micro-batches op by op)
//   -unfused  oneDNN's fused kernels off (CLASS_IT_NATIVE_FUSED_OPS=0: layer norm, x·W + b and GELU as separate ops)
//   -stockbmm wasm's batched products by tfjs-backend-wasm's own kernel (CLASS_IT_WASM_BATCHED_MATMUL=0), not one
//             XNNPACK GEMM per batch entry
//   -1thread  wasm on tfjs-backend-wasm's single-threaded build (CLASS_IT_WASM_THREADS=1), not the threaded one
//   -whole    scoring runs every sequence whole (CLASS_IT_SCORING_SHARED_PREFIXES=0), no shared prefixes
// e.g. `tensorflow-unfused`, `tensorflow-opbyop-unfused`, `wasm-stockbmm`. Returns the backend to pass to initEngine.
const SWITCHES = {
  opbyop: ['CLASS_IT_NATIVE_FUNCTIONS', '0'], unfused: ['CLASS_IT_NATIVE_FUSED_OPS', '0'], stockbmm: ['CLASS_IT_WASM_BATCHED_MATMUL', '0'],
  '1thread': ['CLASS_IT_WASM_THREADS', '1'], whole: ['CLASS_IT_SCORING_SHARED_PREFIXES', '0'],
};

/** The backend, the variant's suffixes and the environment switches they set, without setting them. */
export function engineVariant(arg) {
  const pieces = arg.split('-');
  let end = pieces.length;
  while (end > 1 && pieces[end - 1] in SWITCHES) end--;
  const suffixes = pieces.slice(end);
  return {
    backend: pieces.slice(0, end).join('-'),
    variant: suffixes.map((s) => `-${s}`).join(''),
    env: Object.fromEntries(suffixes.map((suffix) => SWITCHES[suffix])),
  };
}

export function applyEngineVariant(arg) {
  const { backend, variant, env } = engineVariant(arg);
  Object.assign(process.env, env);
  return { backend, variant };
}
