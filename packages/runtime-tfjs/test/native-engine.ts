import { initEngine } from '../src/engine/index.js';

/** Switch to native TensorFlow; false when @tensorflow/tfjs-node is not installed. */
export async function nativeEngine(): Promise<boolean> {
  try {
    return (await initEngine('tensorflow')) === 'tensorflow';
  } catch {
    return false;
  }
}
