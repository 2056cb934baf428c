export { SafetensorsContents, readSafetensors, readWeightTensors, parseSafetensors, writeSafetensors, serializeSafetensors } from './safetensors.js';
export type { FloatTensor, SafeTensor, SafetensorsDtype, TensorToWrite } from './safetensors.js';
