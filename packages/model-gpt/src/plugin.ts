import { definePlugin } from '@class-it/core';
import { GptArchitecture } from './architecture.js';

export default definePlugin({
  kind: 'architecture',
  name: 'gpt',
  description: 'GPT-2 decoder (learned positions, pre-LN, tied embeddings) on TensorFlow.js; loads and saves HF GPT2LMHeadModel checkpoints',
  useClass: GptArchitecture,
});
