/**
 * Greedy generation equals Hugging Face transformers' `generate(do_sample=False)` token for token: on a GPT-2 and a
 * LLaMA (grouped-query attention) folder made by transformers, and on a GPT and a LLaMA this project pretrains with
 * `class-it pretrain`; for plain prompts one at a time, in one left-padded batch, and for conversations through
 * the chat template (`apply_chat_template(add_generation_prompt=True)`); on wasm, and on the native engine when it
 * is installed. Needs `<repo>/.venv` with torch and
 * transformers (tools/scripts/setup-python.sh); skipped loudly without it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { python, pythonHas } from './helpers/python';
import type { ChatMessage, ModelArchitecture, TextGenerator, TrainableModel } from '@class-it/core';
import { DEFAULT_CHAT_TEMPLATE, builtinTemplate, chatPromptIds, generationTemplate } from '@class-it/instruct';
import { initEngine } from '@class-it/runtime-tfjs';
import { GptArchitecture } from '@class-it/model-gpt';
import { LlamaArchitecture } from '@class-it/model-llama';

const workspace = path.resolve(__dirname, '..', '..');
const cli = path.join(workspace, 'packages/cli/dist/main.js');
const script = path.join(__dirname, 'py/hf_generate.py');

const ready = pythonHas(['torch', 'transformers', 'tokenizers']);
if (!ready) console.warn(`SKIPPED: generation parity with transformers: no ${python} with torch + transformers (bash tools/scripts/setup-python.sh)`);

const MAX_NEW_TOKENS = 24;
const PROMPTS = ['The cat sat on the', 'Who should Derek hug after', 'She reads books every night. Many people'];
const CHATS: ChatMessage[][] = [
  [{ role: 'user', content: 'Where is the dog?' }],
  [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'The children were playing' }],
];

interface Reference {
  prompt_ids: number[][];
  single: number[][];
  batch: number[][];
  chat_prompt_ids: number[][];
  chat: number[][];
  single_text: string[];
}

const MODELS: Array<{ name: string; architecture: () => ModelArchitecture; made: 'transformers' | 'class-it' }> = [
  { name: 'gpt2', architecture: () => new GptArchitecture(), made: 'transformers' },
  { name: 'llama', architecture: () => new LlamaArchitecture(), made: 'transformers' },
  { name: 'ours-gpt/final', architecture: () => new GptArchitecture(), made: 'class-it' },
  { name: 'ours-llama/final', architecture: () => new LlamaArchitecture(), made: 'class-it' },
];

describe.skipIf(!ready)('greedy generation equals transformers generate(do_sample=False)', () => {
  let work: string;
  let reference: Record<string, Reference>;
  let backends: string[];

  beforeAll(async () => {
    expect(existsSync(cli), 'build the workspace first (npm run build)').toBe(true);
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'class-it-generation-parity-'));
    const env = { ...process.env, TOKENIZERS_PARALLELISM: 'false', HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' };
    execFileSync(python, [script, 'make', work], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000 });
    for (const [out, preset] of [['ours-gpt', 'gpt-tiny'], ['ours-llama', 'llama-tiny']] as const) {
      const res = spawnSync(process.execPath, [cli, 'pretrain', '--corpus', path.join(workspace, 'data/quickstart/corpus.txt'),
        '--architecture', preset.startsWith('gpt') ? 'gpt' : 'llama', '--preset', preset, '--out', path.join(work, out), '--max-steps', '100',
        '--vocab-size', '400', '--sequence-length', '64', '--batch-size', '8', '--lr', '0.003', '--backend', 'wasm'], { encoding: 'utf8' });
      expect(res.status, res.stderr).toBe(0);
    }
    const request = path.join(work, 'request.json');
    await fs.writeFile(request, JSON.stringify({
      // our pretrained checkpoints carry no chat template: both sides use the default (role-token) one
      models: MODELS.map((m) => ({ dir: path.join(work, m.name), ...(m.made === 'class-it' ? { chat_template: DEFAULT_CHAT_TEMPLATE } : {}) })),
      prompts: PROMPTS, chats: CHATS, max_new_tokens: MAX_NEW_TOKENS,
    }));
    const answers = JSON.parse(execFileSync(python, [script, 'generate', request], { env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 180_000 })) as Record<string, Reference>;
    reference = Object.fromEntries(MODELS.map((m) => [m.name, answers[path.join(work, m.name)]!]));
    // wasm always; the native engine too when it is installed (npm run setup:native)
    backends = ['wasm'];
    try {
      await initEngine('tensorflow');
      backends.push('tensorflow');
    } catch {
      console.warn('generation parity: no native tensorflow backend here; wasm only');
    }
  });
  afterAll(async () => {
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  for (const { name, architecture, made } of MODELS) {
    it(`${name} (made by ${made}): the same ids alone, in a left-padded batch, and through the chat template`, async () => {
      const dir = path.join(work, name);
      const ref = reference[name]!;
      for (const backend of backends) {
        await initEngine(backend);
        const model = await architecture().load(dir) as TrainableModel & TextGenerator;
        try {
          expect(PROMPTS.map((p) => model.tokenizer.encode(p).ids)).toEqual(ref.prompt_ids);
          const single = [];
          for (const prompt of PROMPTS) single.push((await model.generate([prompt], { maxNewTokens: MAX_NEW_TOKENS }))[0]!);
          expect(single.map((o) => o.ids)).toEqual(ref.single);
          expect(single.map((o) => o.text)).toEqual(ref.single_text);
          const batch = await model.generate(PROMPTS, { maxNewTokens: MAX_NEW_TOKENS });
          expect(batch.map((o) => o.ids)).toEqual(ref.batch);

          const template = made === 'class-it' ? builtinTemplate('default') : await generationTemplate(dir, model.tokenizer);
          const chatIds = CHATS.map((messages) => chatPromptIds(template, messages, model.tokenizer));
          expect(chatIds).toEqual(ref.chat_prompt_ids);
          const chat = await model.generate(chatIds.map((ids) => ({ ids })), { maxNewTokens: MAX_NEW_TOKENS });
          expect(chat.map((o) => o.ids)).toEqual(ref.chat);
          const generated = [...ref.single, ...ref.chat].reduce((n, ids) => n + ids.length, 0);
          console.log(`generation parity ${name} on ${backend}: ${generated} greedy tokens equal to transformers'`);
        } finally {
          model.dispose();
        }
      }
    });
  }
});
