import * as tf from '@tensorflow/tfjs-core';
import { initEngine, trainByteLevelBpe, causalModuleOf } from '@class-it/runtime-tfjs';
import { GptArchitecture } from '@class-it/model-gpt';
import { it } from 'vitest';
it('mem', async () => {
  await initEngine(process.env.B ?? 'wasm');
  const tokenizer = trainByteLevelBpe(['a b c d e f'], { vocabSize: 300, specialTokens: { eos: '<|endoftext|>' } });
  const model = await new GptArchitecture().create({ preset: 'gpt-10m', tokenizer, seed: 1, overrides: { vocab_size: 16384 } });
  const m = causalModuleOf(model);
  for (const [b, t] of [[4, 256], [8, 256], [16, 128], [16, 256]]) {
    const base = tf.memory().numBytes;
    let peak = 0;
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => {
      const ids = tf.zeros([b, t], 'int32') as tf.Tensor2D;
      const { hidden } = m.forward(ids, { training: true, hiddenOnly: true, dropoutSeed: 1 });
      peak = tf.memory().numBytes;
      return tf.sum(hidden) as tf.Scalar;
    }, [...m.variables.values()]);
    const ms = performance.now() - t0;
    console.log(b, t, 'fwd MB', ((peak - base) / 1e6).toFixed(0), 'after bwd MB', ((tf.memory().numBytes - base) / 1e6).toFixed(0), 'ms', ms.toFixed(0), 'tok/s', (b * t / ms * 1000).toFixed(0));
    value.dispose(); tf.dispose(Object.values(grads));
  }
});
