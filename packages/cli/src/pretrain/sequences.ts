/**
 * Pretraining sequences: tokenise every line as the tokenizer does (with its special tokens: a BOS first when it
 * adds one, as LLaMA's does, none for GPT-2's), end it with EOS (once: not again when the tokenizer already
 * appends it), concatenate, and cut the stream into chunks of `sequenceLength` tokens (the last, shorter chunk is
 * kept if it has at least two tokens). So every line starts the way an evaluation sentence is scored (the BabyLM
 * rule tokenises each sentence with the tokenizer's special tokens: `<s> sentence` or `sentence`), as HF's run_clm
 * tokenises each text before grouping. A line's words count in the chunk that holds its last token, so the chunks'
 * words add up to the corpus's words.
 */
import type { Tokenizer } from '@class-it/core';
import type { TrainingSequence } from '@class-it/core';
import { ClassItError } from '@class-it/core';
import { countWords } from '@class-it/instruct';
import { seededShuffle } from '@class-it/core';

export function buildPretrainingSequences(lines: string[], tokenizer: Tokenizer, sequenceLength: number): TrainingSequence[] {
  const eos = tokenizer.specialId('eos');
  if (eos === undefined) throw new ClassItError('the tokenizer has no EOS token; pretraining separates lines with it');
  if (!(Number.isInteger(sequenceLength) && sequenceLength >= 2)) throw new ClassItError(`sequence length must be an integer >= 2, got ${sequenceLength}`);
  const sequences: TrainingSequence[] = [];
  let ids: number[] = [];
  let words = 0;
  const flush = () => {
    sequences.push({ ids, lossWeights: new Array<number>(ids.length).fill(1), words });
    ids = [];
    words = 0;
  };
  for (const line of lines) {
    const lineIds = tokenizer.encode(line, { addSpecialTokens: true }).ids;
    if (lineIds[lineIds.length - 1] !== eos) lineIds.push(eos);
    for (let i = 0; i < lineIds.length; i++) {
      ids.push(lineIds[i]!);
      if (i === lineIds.length - 1) words += countWords(line);
      if (ids.length === sequenceLength) flush();
    }
  }
  if (ids.length >= 2) flush();
  else if (ids.length > 0 && sequences.length > 0) sequences[sequences.length - 1]!.words += words;
  return sequences;
}

/** Split sequences into train and a held-out eval set of `fraction` of them (at least 1, at most `maxEval`), by seed. */
export function holdOut(sequences: TrainingSequence[], fraction: number, seed: number, maxEval = 256): { train: TrainingSequence[]; evaluation: TrainingSequence[] } {
  if (sequences.length < 2 || fraction <= 0) return { train: sequences, evaluation: [] };
  const count = Math.min(maxEval, Math.max(1, Math.round(sequences.length * fraction)), sequences.length - 1);
  const order = seededShuffle(sequences.map((_, i) => i), seed, 'pretrain:held-out');
  const evalIdx = new Set(order.slice(0, count));
  return {
    train: sequences.filter((_, i) => !evalIdx.has(i)),
    evaluation: sequences.filter((_, i) => evalIdx.has(i)),
  };
}
