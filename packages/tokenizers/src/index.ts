export { BpeTokenizer, inferSpecialTokens, specialTokensFromConfig, SPECIAL_TOKENS_MAP_FILE, TOKENIZER_FILE, TOKENIZER_CONFIG_FILE } from './tokenizer.js';
export type { DetailedEncoding, TokenizerSettings } from './tokenizer.js';
export { loadTokenizer } from './load.js';
export { trainByteLevelBpe } from './train.js';
export type { TrainByteLevelBpeOptions } from './train.js';
export type { AddedToken } from './added-tokens.js';
export { BYTE_TO_CHAR, CHAR_TO_BYTE, byteLevelAlphabet, toByteLevel } from './byte-level.js';
