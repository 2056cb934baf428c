/**
 * Parity with Python transformers (GPT2LMHeadModel) on the same checkpoint directory, both ways:
 *  - a tiny HF model saved by transformers loads in ours: same logits (1e-4) and the same BabyLM §2.2 scores
 *    as an independent Python implementation of the rule (on wasm and cpu, and on the native engine, with its
 *    oneDNN fused kernels, when `npm run setup:native` installed it);
 *  - ours saved by `model.save()` opens with AutoModelForCausalLM / AutoTokenizer: same ids, logits, scores.
 * Needs `<repo>/.venv/bin/python` with torch + transformers + tokenizers; skipped loudly otherwise.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { causalModuleOf, initEngine, trainByteLevelBpe } from '@class-it/runtime-tfjs';
import type { Tokenizer, TrainableModel } from '@class-it/core';
import { GptArchitecture } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const python = path.join(repoRoot, '.venv/bin/python');
const script = path.join(here, 'py/hf_gpt2.py');

function pythonReady(): boolean {
  if (!existsSync(python)) return false;
  try {
    // find_spec only locates the modules (importing torch here would cost seconds)
    const probe = 'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("torch", "transformers", "tokenizers")) else 1)';
    execFileSync(python, ['-c', probe], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

const ready = pythonReady();
if (!ready) console.warn(`SKIPPED: HF parity tests: no ${python} with torch + transformers + tokenizers`);

const REQUESTS = {
  texts: ['The cat sat on the mat.', 'Who should Derek hug after shocking Richard?', 'A: where is it?\nB: over there.'],
  pairs: [
    ['', 'The cat sat on the mat.'],
    ['', 'The cat sat on the mats.'],
    ['The children were playing', ' in the garden'],
    ['Many people think that the weather', ' will change tomorrow.'],
    ['She reads books every nig', 'ht.'],
    ['A: where is it?', '\nB: over there.'],
  ],
};

interface PyOut { ids: number[][]; logits: number[][][]; scores: number[]; scored_tokens: string[][] }

/** One Python process (torch + transformers import once): build the HF model in hfDir, open ours in ourDir. */
function runPython(hfDir: string, ourDir: string, work: string): { made: PyOut; checked: PyOut } {
  const req = path.join(work, 'requests.json');
  const [madeFile, checkedFile] = [path.join(work, 'make-out.json'), path.join(work, 'check-out.json')];
  writeFileSync(req, JSON.stringify(REQUESTS));
  execFileSync(python, [script, 'both', hfDir, ourDir, req, madeFile, checkedFile], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000 });
  return { made: JSON.parse(readFileSync(madeFile, 'utf8')) as PyOut, checked: JSON.parse(readFileSync(checkedFile, 'utf8')) as PyOut };
}

function maxLogitDiff(model: Awaited<ReturnType<GptArchitecture['load']>>, ref: PyOut): number {
  const module = causalModuleOf(model);
  let worst = 0;
  ref.ids.forEach((ids, n) => {
    const ours = tf.tidy(() => module.forward(tf.tensor2d([ids], [1, ids.length], 'int32'), { training: false }).logits.arraySync()[0]);
    ours.forEach((row, t) => row.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - ref.logits[n][t][i])); }));
  });
  return worst;
}

describe.skipIf(!ready)('HF transformers parity (GPT-2)', () => {
  let work: string;
  let ours: TrainableModel;
  let oursTokenizer: Tokenizer;
  let reference: { made: PyOut; checked: PyOut };
  const arch = new GptArchitecture();
  const hfDir = () => path.join(work, 'hf-model');
  const ourDir = () => path.join(work, 'ours');

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'gpt-parity-'));
    await initEngine('wasm');
    const corpus = ['The cat sat on the mat.', 'Who should Derek hug after shocking Richard?', 'The children were playing in the garden.',
      'Many people think that the weather will change tomorrow.', 'She reads books every night.', 'A: where is it?\nB: over there.'];
    oursTokenizer = trainByteLevelBpe(Array(4).fill(corpus).flat(), { vocabSize: 320, specialTokens: { eos: '<|endoftext|>' } });
    ours = await arch.create({ preset: 'gpt-tiny', overrides: { n_embd: 32, n_head: 4, initializer_range: 0.3 }, tokenizer: oursTokenizer, seed: 3 });
    await ours.save(ourDir());
    reference = runPython(hfDir(), ourDir(), work);
  });
  afterAll(() => {
    ours?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('an HF GPT2LMHeadModel directory loads in ours with equal logits and BabyLM scores (wasm, cpu, native)', async () => {
    const dir = hfDir();
    const ref = reference.made;
    const backends: string[] = ['wasm', 'cpu'];
    try {
      if ((await initEngine('tensorflow')) === 'tensorflow') backends.push('tensorflow');
    } catch {
      console.warn('gpt hf-parity: no native tensorflow backend here (npm run setup:native); wasm and cpu only');
    }
    for (const backend of backends) {
      await initEngine(backend);
      const model = await arch.load(dir);
      expect(model.info.parameterCount).toBe(arch.parameterCount(model.config));
      ref.ids.forEach((ids, n) => expect(model.tokenizer.encode(REQUESTS.texts[n]).ids).toEqual(ids));
      expect(maxLogitDiff(model, ref)).toBeLessThan(1e-4);
      const scores = await model.logLikelihood(REQUESTS.pairs.map(([context, continuation]) => ({ context, continuation })), { batchSize: 4 });
      scores.forEach((s, i) => {
        expect(s.tokens).toEqual(ref.scored_tokens[i]);
        expect(Math.abs(s.logprob - ref.scores[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.scores[i])));
      });
      model.dispose();
    }
  });

  it('a directory saved by ours opens in transformers with equal ids, logits and scores', async () => {
    await initEngine('wasm');
    const model = ours;
    const tokenizer = oursTokenizer;
    const dir = ourDir();
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) expect(existsSync(path.join(dir, f))).toBe(true);
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config.model_type).toBe('gpt2');
    expect(config.architectures).toEqual(['GPT2LMHeadModel']);
    const ref = reference.checked;
    ref.ids.forEach((ids, n) => expect(tokenizer.encode(REQUESTS.texts[n]).ids).toEqual(ids));
    expect(maxLogitDiff(model, ref)).toBeLessThan(1e-4);
    const scores = await model.logLikelihood(REQUESTS.pairs.map(([context, continuation]) => ({ context, continuation })));
    scores.forEach((s, i) => expect(Math.abs(s.logprob - ref.scores[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.scores[i]))));
    // and it loads back in ours with identical weights
    const again = await arch.load(dir);
    expect(maxLogitDiff(again, ref)).toBeLessThan(1e-4);
    again.dispose();
  });
});
