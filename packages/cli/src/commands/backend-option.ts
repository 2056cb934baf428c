/** The one help text of every command's `--backend` option (the choices of @class-it/runtime-tfjs' initEngine). */
export const BACKEND_HELP = 'auto | tensorflow | tensorflow-gpu | wasm | cpu; auto takes the fastest that loads ' +
  '(tensorflow-gpu needs @tensorflow/tfjs-node-gpu and CUDA: see the GPU section of the @class-it/runtime-tfjs README)';
