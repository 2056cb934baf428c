import { definePlugin } from '@class-it/core';
import { LlamaArchitecture } from './architecture.js';

export default definePlugin({
  kind: 'architecture',
  name: 'llama',
  description: 'LLaMA decoder (RMSNorm, rotary positions, SwiGLU, grouped-query attention); reads and writes HF LlamaForCausalLM checkpoints',
  useClass: LlamaArchitecture,
});
