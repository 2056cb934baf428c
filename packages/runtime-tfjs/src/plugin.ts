/** The `tfjs` runtime plugin; it also provides the Trainer and ClassifierTrainer services. */
import { TOKENS, definePlugin, type Runtime } from '@class-it/core';
import { TfjsRuntime } from './runtime.js';

const runtime = new TfjsRuntime();

export default definePlugin({
  kind: 'runtime',
  name: 'tfjs',
  description: 'TensorFlow.js runtime: native TensorFlow, WASM or CPU backend; BPE tokenizer; AdamW trainer; BabyLM scoring',
  useFactory: (): Runtime => runtime,
  provides: [
    { token: TOKENS.Trainer, useFactory: () => runtime.trainer() },
    { token: TOKENS.ClassifierTrainer, useFactory: () => runtime.classifierTrainer() },
  ],
});
