/**
 * Parity with Python transformers: a small LlamaForCausalLM made by transformers (GQA, rope_theta 500000,
 * a SentencePiece-style tokenizer with byte fallback) opens here with equal logits, and the folder we save opens
 * in transformers with equal logits. Skips loudly when the project's Python venv with transformers is absent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { causalModuleOf, initEngine } from '@class-it/runtime-tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaArchitecture } from '../src/architecture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const fixtureScript = path.join(here, 'fixtures/hf_llama.py');
const TOLERANCE = 1e-4;
const evalData = path.resolve(repoRoot, '../shared/eval-data');
const blimpFast = path.join(evalData, 'blimp/blimp_fast');

/** Up to `n` BLiMP sentences (good and bad) for the tokenizer comparison, when the eval data is present. */
function blimpSentences(n: number): string[] {
  if (!existsSync(blimpFast)) {
    console.warn(`SKIPPED: BLiMP sentences in the llama tokenizer comparison: eval data not found at ${blimpFast}`);
    return [];
  }
  const out: string[] = [];
  for (const file of readdirSync(blimpFast).sort()) {
    for (const line of readFileSync(path.join(blimpFast, file), 'utf8').split('\n').slice(0, 8)) {
      if (!line.trim()) continue;
      const item = JSON.parse(line) as { sentence_good: string; sentence_bad: string };
      out.push(item.sentence_good, item.sentence_bad);
    }
  }
  return out.slice(0, n);
}

/** Python str offsets count code points; the Tokenizer contract counts UTF-16 code units. */
function toUtf16Offsets(text: string, offsets: number[][]): Array<[number, number]> {
  const unitsBefore = [0];
  for (const ch of text) unitsBefore.push(unitsBefore[unitsBefore.length - 1]! + ch.length);
  return offsets.map(([s, e]) => [unitsBefore[s!]!, unitsBefore[e!]!]);
}

function findPython(): string | undefined {
  for (const candidate of [path.join(repoRoot, '.venv/bin/python'), 'python3']) {
    if (candidate.includes('/') && !existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ['-c', 'import torch, transformers, tokenizers, safetensors'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

const python = findPython();
if (!python) {
  console.warn(`SKIPPED: llama transformers parity tests: no python with torch+transformers (looked for ${repoRoot}/.venv/bin/python and python3)`);
}

function runPython(args: string[]): string {
  const result = spawnSync(python!, [fixtureScript, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, TOKENIZERS_PARALLELISM: 'false', HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' },
  });
  if (result.status !== 0) throw new Error(`python ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

type Grid = number[][];
interface Expected {
  sentences: string[];
  rows: number[][];
  mask: number[][];
  positions: number[][];
  models: Record<string, { single: Grid[]; padded: Grid[] }>;
  tokenizer_cases: Array<{ text: string; ids: number[]; offsets: number[][] }>;
}

function maxAbsDiff(a: Grid, b: Grid): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((row, t) => {
    expect(row.length).toBe(b[t]!.length);
    row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[t]![j]!))));
  });
  return worst;
}

describe.skipIf(!python)('llama parity with transformers', () => {
  const architecture = new LlamaArchitecture();
  let work: string;
  let expected: Expected;

  beforeAll(async () => {
    await initEngine('cpu');
    work = mkdtempSync(path.join(tmpdir(), 'llama-parity-'));
    const texts = path.join(work, 'texts.json');
    writeFileSync(texts, JSON.stringify(blimpSentences(1000)));
    runPython(['create', work, texts]);
    expected = JSON.parse(readFileSync(path.join(work, 'expected.json'), 'utf8')) as Expected;
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Our logits for the fixture's rows: each sentence alone, and the left-padded batch. */
  async function ourLogits(dir: string): Promise<{ single: Grid[]; padded: Grid[] }> {
    const model = await architecture.load(dir);
    const module = causalModuleOf(model);
    const single = expected.rows.map((_, i) => {
      const real = expected.rows[i]!.filter((_, t) => expected.mask[i]![t] === 1);
      return tf.tidy(() => module.forward(tf.tensor2d([real], undefined, 'int32'), { training: false }).logits.arraySync()[0]!);
    });
    const padded = tf.tidy(() =>
      module
        .forward(tf.tensor2d(expected.rows, undefined, 'int32'), {
          training: false,
          attentionMask: tf.tensor2d(expected.mask),
          positionIds: tf.tensor2d(expected.positions, undefined, 'int32'),
        })
        .logits.arraySync(),
    );
    model.dispose();
    return { single, padded };
  }

  for (const name of ['gqa', 'tied']) {
    it(`${name}: a transformers checkpoint opens with logits equal to transformers' (1e-4)`, async () => {
      const ours = await ourLogits(path.join(work, name));
      const reference = expected.models[name]!;
      const diffs = ours.single.map((grid, i) => maxAbsDiff(grid, reference.single[i]!));
      console.log(`llama parity ${name}: max |logit difference| vs transformers = ${Math.max(...diffs).toExponential(2)}`);
      diffs.forEach((d) => expect(d).toBeLessThan(TOLERANCE));
      // Padded batch: compare the real (unmasked) positions only.
      ours.padded.forEach((grid, i) => {
        const real = (g: Grid) => g.filter((_, t) => expected.mask[i]![t] === 1);
        expect(maxAbsDiff(real(grid), real(reference.padded[i]!))).toBeLessThan(TOLERANCE);
      });
    });
  }

  it('the SentencePiece-style tokenizer gives transformers\' ids (byte fallback included)', async () => {
    const model = await architecture.load(path.join(work, 'gqa'));
    expected.sentences.forEach((sentence, i) => {
      const hfIds = expected.rows[i]!.filter((_, t) => expected.mask[i]![t] === 1);
      expect(model.tokenizer.encode(sentence).ids).toEqual(hfIds);
    });
    model.dispose();
  });

  it('the SentencePiece-style tokenizer gives transformers\' ids and offsets on ~2500 texts', async () => {
    const model = await architecture.load(path.join(work, 'gqa'));
    const cases = expected.tokenizer_cases;
    expect(cases.length).toBeGreaterThanOrEqual(1500);
    let mismatches = 0;
    for (const { text, ids, offsets } of cases) {
      const ours = model.tokenizer.encode(text);
      const same = JSON.stringify(ours.ids) === JSON.stringify(ids) &&
        JSON.stringify(ours.offsets) === JSON.stringify(toUtf16Offsets(text, offsets));
      if (!same && mismatches++ < 3) {
        expect({ text, ids: ours.ids, offsets: ours.offsets }).toEqual({ text, ids, offsets: toUtf16Offsets(text, offsets) });
      }
    }
    expect(mismatches).toBe(0);
    model.dispose();
  });

  it('logLikelihood of a whole sentence equals the sum of transformers\' next-token log-probs', async () => {
    const model = await architecture.load(path.join(work, 'gqa'));
    const sentence = expected.sentences[1]!;
    const ids = model.tokenizer.encode(sentence).ids;
    const logits = expected.models.gqa!.single[1]!;
    let reference = 0;
    for (let t = 1; t < ids.length; t++) {
      const row = logits[t - 1]!;
      const max = Math.max(...row);
      const logZ = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      reference += row[ids[t]!]! - logZ;
    }
    const [result] = await model.logLikelihood([{ context: '', continuation: sentence }]);
    expect(result!.tokenLogprobs.length).toBe(ids.length - 1);
    expect(Math.abs(result!.logprob - reference)).toBeLessThan(1e-3);
    model.dispose();
  });

  it('the folders we save open in transformers with equal logits, ids and LlamaConfig fields', async () => {
    const saved: Record<string, string> = {};
    for (const name of ['gqa', 'tied']) {
      const model = await architecture.load(path.join(work, name));
      saved[name] = path.join(work, `${name}-saved`);
      await model.save(saved[name]);
      model.dispose();
      const config = JSON.parse(readFileSync(path.join(saved[name], 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(config.model_type).toBe('llama');
      expect(config.architectures).toEqual(['LlamaForCausalLM']);
      expect(config.hidden_act).toBe('silu');
      expect(config.num_key_value_heads).toBe(name === 'gqa' ? 2 : 4);
      expect(config.tie_word_embeddings).toBe(name === 'tied');
      expect(config.rope_theta).toBe(name === 'gqa' ? 500000 : 10000);
      for (const file of ['model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
        expect(existsSync(path.join(saved[name], file)), file).toBe(true);
      }
    }
    const request = path.join(work, 'request.json');
    writeFileSync(request, JSON.stringify(expected));
    const answers = JSON.parse(runPython(['logits', request, saved.gqa!, saved.tied!])) as Record<
      string,
      { logits: Grid[]; encoded: number[][] }
    >;
    for (const name of ['gqa', 'tied']) {
      const answer = answers[saved[name]!]!;
      const reference = expected.models[name]!.padded;
      answer.logits.forEach((grid, i) => {
        const real = (g: Grid) => g.filter((_, t) => expected.mask[i]![t] === 1);
        expect(maxAbsDiff(real(grid), real(reference[i]!))).toBeLessThan(TOLERANCE);
      });
      expected.sentences.forEach((_, i) => {
        expect(answer.encoded[i]).toEqual(expected.rows[i]!.filter((_, t) => expected.mask[i]![t] === 1));
      });
    }
  });
});
