/** Dataset plugins yield instruction examples; formatting and tokenisation happen later, in core. */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

/**
 * One instruction example: prompt/reply, chat messages, or plain text. `source` names where it came from.
 * `text` on a prompt/reply or messages example: the dataset's own rendering of it (CLASS-IT's `text` column), trained
 * on instead of a chat template when the formatting says `render: text`. `prompt` on a text example: the prompt as it
 * appears inside `text` (loss on what follows it with `lossOn: reply`); without it a text example has loss everywhere.
 */
export type InstructionExample =
  | { kind: 'prompt-reply'; prompt: string; reply: string; text?: string; source?: string; id?: string }
  | { kind: 'messages'; messages: ChatMessage[]; text?: string; source?: string; id?: string }
  | { kind: 'text'; text: string; prompt?: string; source?: string; id?: string };

/** What to do with a bad row: fail on the first, or skip it and count it. */
export type BadRowPolicy = 'fail' | 'skip';

export interface DatasetLoadOptions {
  /** Dataset-specific settings from the experiment file (validated by the plugin). */
  settings: Record<string, unknown>;
  /** Directory the experiment file lives in: relative paths resolve against it. */
  baseDir: string;
  /** Cache directory for downloads. */
  cacheDir: string;
  offline: boolean;
  badRows: BadRowPolicy;
  /** Base URL of the Hugging Face Hub (default: HF_ENDPOINT or https://huggingface.co). */
  hubEndpoint?: string;
}

export interface LoadedDataset {
  name: string;
  examples: InstructionExample[];
  /** Rows skipped under the `skip` policy, with their reasons (file:line field). */
  skipped: Array<{ where: string; reason: string }>;
}

export interface InstructionDataset {
  readonly name: string;
  readonly description: string;
  load(options: DatasetLoadOptions): Promise<LoadedDataset>;
}
