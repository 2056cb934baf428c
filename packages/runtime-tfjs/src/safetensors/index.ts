export { SafetensorsContents, readSafetensors, parseSafetensors, writeSafetensors, serializeSafetensors } from './safetensors.js';
export type { SafeTensor, SafetensorsDtype, TensorToWrite } from './safetensors.js';
