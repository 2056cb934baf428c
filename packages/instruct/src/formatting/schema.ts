/** The `formatting` settings of instruction tuning: how examples become token sequences (validated by zod). */
import { z } from 'zod';

export const formattingSchema = z.strictObject({
  /**
   * `auto`: the checkpoint's own chat template if it has one, else `default` when the role tokens are (or can be
   * made) single tokens, else `plain`. `default`: role-token template. `plain`: `User:`/`Assistant:` text.
   * `checkpoint`: the base checkpoint's `tokenizer_config.json` chat_template. `{ jinja }`: your own template.
   */
  template: z.union([z.enum(['auto', 'default', 'plain', 'checkpoint']), z.strictObject({ jinja: z.string().min(1) })]).default('auto'),
  /**
   * What is trained on: `template` (default when absent): the example rendered with the chat template; `text`: the
   * dataset's own `text` column as it is (CLASS-IT rows have one), BOS first when the tokenizer has one, no template.
   * With `text`, `lossOn: reply` puts the loss on what follows the prompt inside the text (examples whose text does
   * not contain their prompt are left out of training, counted and reported); `lossOn: all` on the whole text.
   * A dataset can set its own (`instruction.datasets.<name>.render`).
   */
  render: z.enum(['template', 'text']).optional(),
  /** Loss on the replies only (completion-only) or on the whole sequence: the paper leaves this open. */
  lossOn: z.enum(['reply', 'all']).default('reply'),
  /** Too-long examples: keep the end (`left`, keeps the reply), keep the start (`right`), or `drop` them. */
  truncation: z.enum(['left', 'right', 'drop']).default('left'),
  /** Tokens per example at most (default: trainer.sequenceLength). */
  maxLength: z.number().int().min(2).optional(),
  /** A system message put before every example that has none. */
  systemPrompt: z.string().optional(),
  /** Sort windows of `windowBatches` batches by length inside each stage, to cut padding. Off by default. */
  bucketing: z.strictObject({ windowBatches: z.number().int().positive().default(16) }).optional(),
});

export type FormattingConfig = z.infer<typeof formattingSchema>;
