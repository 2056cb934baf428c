/**
 * Architecture plugins (model-gpt, model-llama): create a model from a config, load and save checkpoint
 * directories (HF layout). Core never sees a tensor: a trainable model is opaque to it and is handed to a
 * `Trainer` from the runtime plugin.
 */
import type { LanguageModel } from './language-model.js';
import type { Tokenizer } from './tokenizer.js';

/** An architecture's config: plain JSON, field names of the architecture's HF config class. */
export type ArchitectureConfig = Record<string, unknown>;

export interface TrainableModel extends LanguageModel {
  readonly architecture: string;
  readonly config: ArchitectureConfig;
  /** Hidden size of the last layer (classification heads are built on it). */
  readonly hiddenSize: number;
  /** Write an HF-compatible checkpoint directory (config.json, model.safetensors, tokenizer files), atomically. */
  save(dir: string): Promise<void>;
}

export interface CreateModelOptions {
  /** A preset name from `presets`, or none for the plain defaults. */
  preset?: string;
  /** Fields that override the preset (HF config field names). */
  overrides?: ArchitectureConfig;
  tokenizer: Tokenizer;
  seed: number;
}

export interface ModelArchitecture {
  /** Short name used in configs, e.g. `gpt`, `llama`. */
  readonly name: string;
  /** HF `model_type` values this plugin can load (e.g. `gpt2`, `llama`). */
  readonly modelTypes: string[];
  readonly presets: Record<string, ArchitectureConfig>;
  /**
   * Whether a tokenizer trained for this architecture puts BOS before every sequence when pretraining does not say
   * (`pretrain.addBos`), as the architecture's reference tokenizers do (LLaMA: yes; GPT-2: no). Absent: no BOS.
   */
  readonly defaultAddBos?: boolean;
  create(options: CreateModelOptions): Promise<TrainableModel>;
  /** Load a checkpoint directory (HF layout: config.json + model.safetensors + tokenizer.json). */
  load(dir: string): Promise<TrainableModel>;
  /** Parameter count of a config without building it. */
  parameterCount(config: ArchitectureConfig): number;
}

/** The optional model hook for adding special tokens (tokenizer + embedding resize). */
export interface SupportsAddingTokens {
  addSpecialTokens(tokens: string[]): Promise<void> | void;
}

export function canAddTokens(model: unknown): model is SupportsAddingTokens {
  return typeof (model as Partial<SupportsAddingTokens> | null)?.addSpecialTokens === 'function';
}
