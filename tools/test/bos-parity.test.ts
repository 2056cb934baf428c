/**
 * BOS end to end (issue 16, item 7): `pretrain` trains a tiny LLaMA and a tiny GPT, each with and without a BOS
 * tokenizer (LLaMA's default is BOS, GPT's none), and then
 *   - the folder loads in HF `tokenizers` and `transformers` with the same ids as ours (BOS included) and the same
 *     bos/eos/pad ids in the tokenizer and config.json (distinct when BOS is on);
 *   - BLiMP-style pairs (context '') and EWoK-style pairs (a context, then the scored completion) score as the
 *     BabyLM reference computes them with transformers (babylm_reference.py causal_scores): with BOS the first word
 *     is scored given BOS and BOS itself never is; without BOS the first token is never scored.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addsBos, PluginRegistry, type TrainableModel } from '@class-it/core';
import { pretrain } from '@class-it/cli';
import runtimePlugin from '@class-it/runtime-tfjs/plugin';
import gptPlugin from '@class-it/model-gpt/plugin';
import llamaPlugin from '@class-it/model-llama/plugin';
import { causalScoredSequence } from '@class-it/runtime-tfjs';
import { scoreRankingItems, type RankingItem } from '@class-it/eval-zeroshot-shared';
import { referencePython, referenceScript } from '@class-it/eval-zeroshot-shared/testing';

const here = path.dirname(fileURLToPath(import.meta.url));
const python = referencePython('BOS parity with transformers');

const CORPUS = [
  'the cat sat on the mat', 'a dog ran to the park', 'the child saw a big dog', 'where did the cat go',
  'she gave the ball to him', 'the birds sang in the tree', 'he thinks that the dog is happy', 'they ate the cake',
];
/** [good, bad] sentence pairs, scored whole (BLiMP: context ''). */
const BLIMP_PAIRS: Array<[string, string]> = [
  ['The cat sat on the mat.', 'The cat sat on mat the.'],
  ['Karen saw herself.', 'Karen saw himself.'],
  ['A dog ran.', 'Dog a ran.'],
];
/** EWoK-style: [context, target1, target2]; the sentence is `context + " " + target`, only `" " + target` scored. */
const EWOK_TRIPLES: Array<[string, string, string]> = [['The oven is getting warmer.', 'The oven is heating up.', 'The oven is cooling down.']];
const TEXTS = ['', 'x', 'The cat sat on the mat.', '  two leading spaces', 'café naïve 😀', 'a <s> b </s> c <pad>', 'Hi <|endoftext|> there'];

const CASES = [
  { architecture: 'llama', addBos: undefined, expectBos: true, overrides: { num_hidden_layers: 1, hidden_size: 32, intermediate_size: 64, num_attention_heads: 2, num_key_value_heads: 1 } },
  { architecture: 'llama', addBos: false, expectBos: false, overrides: { num_hidden_layers: 1, hidden_size: 32, intermediate_size: 64, num_attention_heads: 2, num_key_value_heads: 1 } },
  { architecture: 'gpt', addBos: undefined, expectBos: false, overrides: { n_layer: 1, n_embd: 32, n_head: 2 } },
  { architecture: 'gpt', addBos: true, expectBos: true, overrides: { n_layer: 1, n_embd: 32, n_head: 2 } },
] as const;

const items: RankingItem[] = [
  ...BLIMP_PAIRS.map(([good, bad]) => ({ uid: 'blimp', sentences: [good, bad], completions: [good, bad], metadata: [['UID', 'blimp']] as Array<[string, string]> })),
  ...EWOK_TRIPLES.map(([c, t1, t2]) => ({ uid: 'ewok', sentences: [`${c} ${t1}`, `${c} ${t2}`], completions: [` ${t1}`, ` ${t2}`], metadata: [['UID', 'ewok']] as Array<[string, string]> })),
];

interface HfSide {
  class: string;
  ids: number[][];
  raw_ids: number[][];
  tokenizer: { bos: number | null; eos: number | null; pad: number | null; bos_token: string | null; eos_token: string | null; pad_token: string | null };
  config: { bos: number | null; eos: number | null; pad: number | null };
  scores: number[][];
}

describe.skipIf(!python)('BOS: pretrain with and without it, HF loads it identically, scoring follows the BabyLM rule', () => {
  let work: string;
  const dirs: string[] = [];
  const models: TrainableModel[] = [];
  let hf: Record<string, HfSide>;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'bos-parity-'));
    const corpus = path.join(work, 'corpus.train');
    await fs.writeFile(corpus, Array.from({ length: 80 }, (_, i) => CORPUS[i % CORPUS.length]).join('\n') + '\n');
    const registry = new PluginRegistry();
    registry.register(runtimePlugin, { packageName: '@class-it/runtime-tfjs', packageVersion: '0.1.0' });
    registry.register(gptPlugin, { packageName: '@class-it/model-gpt', packageVersion: '0.1.0' });
    registry.register(llamaPlugin, { packageName: '@class-it/model-llama', packageVersion: '0.1.0' });
    for (const [i, c] of CASES.entries()) {
      const result = await pretrain(registry, {
        corpus: [corpus], out: path.join(work, `run-${i}`), architecture: c.architecture, preset: `${c.architecture}-tiny`,
        ...(c.addBos !== undefined ? { addBos: c.addBos } : {}), overrides: c.overrides,
        vocabSize: 300, maxSteps: 4, batchSize: 4, sequenceLength: 32, learningRate: 3e-3, evalFraction: 0, backend: 'cpu', seed: 5, log: () => undefined,
      });
      dirs.push(result.finalDir);
      models.push(await registry.architectureFor(c.architecture === 'gpt' ? 'gpt2' : 'llama').load(result.finalDir));
    }
    const spec = path.join(work, 'spec.json');
    const out = path.join(work, 'hf.json');
    await fs.writeFile(spec, JSON.stringify({ reference: referenceScript(), texts: TEXTS, items: items.map((it) => ({ sentences: it.sentences, completions: it.completions })), models: dirs }));
    execFileSync(python!, [path.join(here, 'py', 'bos_parity.py'), spec, out], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000, env: { ...process.env, TOKENIZERS_PARALLELISM: 'false' } });
    hf = JSON.parse(await fs.readFile(out, 'utf8'));
  }, 900_000);

  afterAll(async () => {
    for (const m of models) m.dispose();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it.each(CASES.map((c, i) => [i, c.architecture, c.expectBos] as const))('case %i (%s, BOS %s): HF tokenizer, raw tokenizers and config.json agree with ours', (i, _arch, expectBos) => {
    const tokenizer = models[i]!.tokenizer;
    const side = hf[dirs[i]!]!;
    expect(addsBos(tokenizer)).toBe(expectBos);
    expect(side.ids).toEqual(TEXTS.map((t) => tokenizer.encode(t).ids));
    expect(side.raw_ids).toEqual(side.ids);
    const ours = { bos: tokenizer.specialId('bos') ?? null, eos: tokenizer.specialId('eos') ?? null, pad: tokenizer.specialId('pad') ?? null };
    expect(side.tokenizer).toEqual({ ...ours, bos_token: tokenizer.specialTokens.bos, eos_token: tokenizer.specialTokens.eos, pad_token: tokenizer.specialTokens.pad });
    expect(side.config).toEqual(ours);
    if (expectBos) {
      expect(new Set([ours.bos, ours.eos, ours.pad]).size).toBe(3);
      expect(side.ids.every((ids) => ids[0] === ours.bos)).toBe(true);
    } else {
      expect(ours.bos).toBe(ours.eos); // GPT-2 style: <|endoftext|> is both, and never added
      expect(side.ids[0]).toEqual([]);
    }
  });

  it.each(CASES.map((c, i) => [i, c.architecture, c.expectBos] as const))('case %i (%s, BOS %s): pair log-probs equal the reference computed with transformers', async (i, _arch, expectBos) => {
    const model = models[i]!;
    const tokenizer = model.tokenizer;
    // Which tokens are scored: with BOS every real token of a BLiMP sentence (the first given BOS), never BOS;
    // without BOS all but the first token.
    const [good] = BLIMP_PAIRS[0]!;
    const plain = tokenizer.encode(good, { addSpecialTokens: false }).ids;
    const seq = causalScoredSequence(tokenizer, '', good);
    if (expectBos) {
      expect(seq.ids).toEqual([tokenizer.specialId('bos'), ...plain]);
      expect(seq.scoredPositions).toEqual(plain.map((_, j) => j + 1));
    } else {
      expect(seq.ids).toEqual(plain);
      expect(seq.scoredPositions).toEqual(plain.slice(1).map((_, j) => j + 1));
    }
    const ours = await scoreRankingItems(model, items, { batchSize: 3 });
    const ref = hf[dirs[i]!]!.scores;
    expect(ours.length).toBe(ref.length);
    let worst = 0;
    ours.forEach((pair, k) => pair.forEach((s, j) => (worst = Math.max(worst, Math.abs(s - ref[k]![j]!)))));
    expect(worst).toBeLessThan(1e-4);
    expect(ours.flat().every((s) => Number.isFinite(s) && s < 0)).toBe(true);
  });
});
