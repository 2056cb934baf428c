import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initEngine } from '../src/engine/index.js';
import { saveCheckpointDir, readCheckpointDir } from '../src/checkpoint/index.js';
import { TfjsLanguageModel } from '../src/model/index.js';
import { trainByteLevelBpe } from '@class-it/tokenizers';
import { readSafetensors, writeSafetensors } from '../src/safetensors/index.js';
import { ToyCausalLM } from './toy-model.js';

const corpus = ['the cat sat on the mat', 'a dog barks', 'the dog sat', 'who is there?'];

describe('checkpoint directories', () => {
  let work: string;
  beforeAll(async () => {
    await initEngine('wasm');
    work = mkdtempSync(path.join(tmpdir(), 'ckpt-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const tokenizer = trainByteLevelBpe(corpus, { vocabSize: 280, specialTokens: { eos: '<|endoftext|>' } });

  it('saves config, safetensors (format pt) and tokenizer files, and reads them back', async () => {
    const weights = new Map([
      ['a.weight', { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
      ['a.bias', { shape: [3], data: new Float32Array([0.5, -1, 2]) }],
    ]);
    const dir = path.join(work, 'plain');
    await saveCheckpointDir(dir, { config: { model_type: 'toy', n: 3 }, hfArchitectures: ['ToyForCausalLM'], weights, tokenizer });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'toy', n: 3, architectures: ['ToyForCausalLM'], torch_dtype: 'float32' });
    expect((await readSafetensors(path.join(dir, 'model.safetensors'))).metadata).toEqual({ format: 'pt' });
    const loaded = await readCheckpointDir(dir);
    expect(loaded.modelType).toBe('toy');
    expect(Array.from(loaded.weights.get('a.weight')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(loaded.weights.get('a.bias')!.shape).toEqual([3]);
    expect(loaded.tokenizer.encode('the cat').ids).toEqual(tokenizer.encode('the cat').ids);
  });

  it('a failed save leaves the previous directory whole', async () => {
    const dir = path.join(work, 'atomic');
    const weights = new Map([['w', { shape: [1], data: new Float32Array([1]) }]]);
    await saveCheckpointDir(dir, { config: { model_type: 'toy' }, hfArchitectures: [], weights, tokenizer });
    const broken = { ...tokenizer, save: async () => { throw new Error('disk full'); } } as unknown as typeof tokenizer;
    await expect(saveCheckpointDir(dir, { config: { model_type: 'toy', v: 2 }, hfArchitectures: [], weights, tokenizer: broken })).rejects.toThrow(/disk full/);
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).v).toBeUndefined();
    expect(existsSync(path.join(dir, 'tokenizer.json'))).toBe(true);
    expect(readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('reads sharded checkpoints and names what is wrong with a bad directory', async () => {
    const dir = path.join(work, 'sharded');
    mkdirSync(dir);
    await tokenizer.save(dir);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'toy' }));
    await writeSafetensors(path.join(dir, 'part-1.safetensors'), new Map([['x', { shape: [1], data: new Float32Array([3]) }]]), { format: 'pt' });
    await writeSafetensors(path.join(dir, 'part-2.safetensors'), new Map([['y', { shape: [2], data: new Float32Array([4, 5]) }]]), { format: 'pt' });
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: 'part-1.safetensors', y: 'part-2.safetensors' } }));
    const loaded = await readCheckpointDir(dir);
    expect([...loaded.weights.keys()].sort()).toEqual(['x', 'y']);

    const bad = path.join(work, 'bad');
    mkdirSync(bad);
    await expect(readCheckpointDir(bad)).rejects.toThrow(/bad\/config.json: file not found/);
    writeFileSync(path.join(bad, 'config.json'), '{"n": 1');
    await expect(readCheckpointDir(bad)).rejects.toThrow(/config.json: not a valid JSON object/);
    writeFileSync(path.join(bad, 'config.json'), '{"n": 1}');
    await expect(readCheckpointDir(bad)).rejects.toThrow(/field 'model_type': missing model_type/);
    writeFileSync(path.join(bad, 'config.json'), '{"model_type": "gpt2"}');
    await expect(readCheckpointDir(bad)).rejects.toThrow(/no model.safetensors/);
    writeFileSync(path.join(bad, 'pytorch_model.bin'), 'x');
    await expect(readCheckpointDir(bad)).rejects.toThrow(/only pytorch_model.bin found/);
  });

  it('TfjsLanguageModel reports its info and saves through the checkpoint module', async () => {
    const module = new ToyCausalLM(12, 1);
    const tok = trainByteLevelBpe(corpus, { vocabSize: 300, specialTokens: { eos: '<|endoftext|>' } });
    expect(() => new TfjsLanguageModel(module, tok, { architecture: 'toy', source: 'x', parameterCount: 1 }))
      .toThrow(/tokenizer has \d+ tokens but the model's vocabulary has only 50/);
    const small = { ...tokenizer, vocabSize: 40, save: (d: string) => tokenizer.save(d) } as unknown as typeof tokenizer;
    const model = new TfjsLanguageModel(module, small, { architecture: 'toy', source: 'fresh', parameterCount: 1234 });
    expect(model.info).toEqual({ architecture: 'toy', source: 'fresh', parameterCount: 1234, backend: 'wasm', contextLength: 12 });
    expect(model.hiddenSize).toBe(8);
    const dir = path.join(work, 'model');
    await model.save(dir);
    const loaded = await readCheckpointDir(dir);
    expect(loaded.config.architectures).toEqual(['ToyForCausalLM']); // the module's HF class names
    expect(Array.from(loaded.weights.get('emb')!.data)).toEqual(Array.from(module.variables.get('emb')!.dataSync()));
    model.dispose();
  });
});
