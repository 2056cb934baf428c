/**
 * Robustness of the built CLI against bad input: a corpus of broken experiment files, data files, corpora, score
 * inputs and checkpoints (all generated here) is run through every command. Each case must exit non-zero with ONE
 * line naming the culprit (file, line, field or flag) and no stack trace, write nothing outside its --out, and
 * lose nothing that was already written (its --out starts with earlier results in it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, promises as fs } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const workspace = path.resolve(__dirname, '..', '..');
const cli = path.join(workspace, 'packages/cli/dist/main.js');
const root = path.join(os.tmpdir(), `class-it-robustness-${process.pid}`);
const inputs = path.join(root, 'inputs');
const home = path.join(root, 'home');
const env = { ...process.env, HOME: home, CLASS_IT_CACHE: path.join(home, 'cache'), HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' };
const at = (...p: string[]) => path.join(inputs, ...p);
const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => Buffer.from(p as string)));

interface Case {
  name: string;
  /** Arguments; `OUT` stands for the case's output directory. */
  args: string[];
  /** What the one message line must say (it starts with `class-it: `, or `  FAILED` for a failed cell of `run`). */
  culprit: RegExp;
  exit?: number;
}

const experiment = (dataset: string, extra = '') => [
  'name: robust', 'backend: wasm', 'seeds: [1]', 'runsDir: out', // relative to the working directory: the case's --out
  `models: [{ name: m, checkpoint: ${JSON.stringify(at('tiny', 'final'))} }]`,
  `instruction: { datasets: { qa: { plugin: simple_wiki, settings: { path: ${JSON.stringify(dataset)}${extra} } } }, trainer: { batchSize: 4, sequenceLength: 32, maxSteps: 1 } }`,
  'conditions: [{ name: merged, curriculum: merged }]',
  `evaluation: { dataDir: ${JSON.stringify(inputs)} }`, '',
].join('\n');

const tiny = () => at('tiny', 'final');
const score = (model: string, input: string, ...more: string[]) => ['score', '--model', model, '--input', input, '--backend', 'wasm', '--output', 'OUT/scores.jsonl', ...more];
const pretrain = (corpus: string, ...more: string[]) => ['pretrain', '--corpus', corpus, '--preset', 'gpt-tiny', '--out', 'OUT', '--backend', 'wasm', '--max-steps', '1', ...more];

const CASES: Case[] = [
  // experiment files
  { name: 'yaml-syntax', args: ['run', at('syntax.yaml'), '--no-report'], culprit: /syntax\.yaml:\d+: not valid YAML: Flow sequence/ },
  { name: 'yaml-negative-seed', args: ['run', at('seed.yaml'), '--no-report'], culprit: /seed\.yaml:3, field 'seeds\[0\]': expected a seed from 0 to 4294967295/ },
  { name: 'yaml-unknown-key', args: ['run', at('unknown-key.yaml'), '--no-report'], culprit: /unknown-key\.yaml.*colour/ },
  { name: 'yaml-unknown-curriculum', args: ['run', at('curriculum.yaml'), '--no-report'], culprit: /field 'conditions\[0\]\.curriculum': unknown curriculum 'zigzag'/ },
  { name: 'yaml-missing', args: ['run', at('nope.yaml')], culprit: /nope\.yaml: cannot read experiment file/ },
  // data files of instruction tuning (train, and run's failed cell)
  { name: 'jsonl-invalid-utf8', args: ['train', at('utf8.yaml'), '--out', 'OUT/train'], culprit: /qa-utf8\.jsonl:2: invalid UTF-8 at byte 16 of the line/ },
  { name: 'csv-structure', args: ['train', at('csv.yaml'), '--out', 'OUT/train'], culprit: /qa-bad\.csv:3: a quote inside an unquoted field/ },
  { name: 'jsonl-long-line', args: ['train', at('long.yaml'), '--out', 'OUT/train'], culprit: /qa-long\.jsonl:2: line of 5\d{3} bytes is longer than the limit of 1000 bytes/ },
  { name: 'train-seed-flag', args: ['train', at('utf8.yaml'), '--seed', '-3', '--out', 'OUT/train'], culprit: /--seed: expected a seed from 0 to 4294967295 \(got -3\)/ },
  { name: 'run-bad-dataset', args: ['run', at('utf8.yaml'), '--no-report'], culprit: /qa-utf8\.jsonl:2: invalid UTF-8 at byte 16 of the line/ },
  // pretraining corpora and flags
  { name: 'corpus-invalid-utf8', args: pretrain(at('corpus-utf8.txt')), culprit: /corpus-utf8\.txt:2: invalid UTF-8 at byte 3 of the line/ },
  { name: 'corpus-binary', args: pretrain(at('corpus.bin')), culprit: /corpus\.bin:1: holds a NUL byte/ },
  { name: 'corpus-missing', args: pretrain(at('no-corpus.txt')), culprit: /no-corpus\.txt' does not exist/ },
  { name: 'vocab-size', args: pretrain(at('corpus.txt'), '--vocab-size', '5'), culprit: /--vocab-size: expected a vocabulary of at least 300 tokens/ },
  { name: 'backend', args: pretrain(at('corpus.txt'), '--backend', 'nope'), culprit: /unknown backend 'nope'/ },
  { name: 'seed-fraction', args: pretrain(at('corpus.txt'), '--seed', '1.5'), culprit: /--seed: expected an integer seed \(got 1\.5\)/ },
  { name: 'unknown-flag', args: pretrain(at('corpus.txt'), '--vocab', '500'), culprit: /unknown option '--vocab'/ },
  // score inputs
  { name: 'score-missing-input', args: score(tiny(), at('missing.jsonl')), culprit: /missing\.jsonl: file not found/ },
  { name: 'score-empty-continuation', args: score(tiny(), at('empty-continuation.jsonl')), culprit: /empty-continuation\.jsonl:2, field 'continuation': expected a non-empty string/ },
  { name: 'score-invalid-utf8', args: score(tiny(), at('score-utf8.jsonl')), culprit: /score-utf8\.jsonl:2: invalid UTF-8/ },
  { name: 'score-invalid-json', args: score(tiny(), at('score-json.jsonl')), culprit: /score-json\.jsonl:3: invalid JSON/ },
  { name: 'score-200mb-line', args: score(tiny(), at('score-huge.jsonl')), culprit: /score-huge\.jsonl:2: line of 2097152\d\d bytes is longer than the limit of 16777216 bytes/ },
  { name: 'score-batch-size', args: score(tiny(), at('requests.jsonl'), '--batch-size', '0'), culprit: /--batch-size: expected a positive integer \(got 0\)/ },
  // checkpoints
  { name: 'ckpt-no-config', args: score(at('ckpt-no-config'), at('requests.jsonl')), culprit: /ckpt-no-config\/config\.json.* missing/ },
  { name: 'ckpt-bad-config', args: score(at('ckpt-bad-config'), at('requests.jsonl')), culprit: /ckpt-bad-config\/config\.json: invalid JSON/ },
  { name: 'ckpt-unknown-type', args: score(at('ckpt-unknown-type'), at('requests.jsonl')), culprit: /model_type 'mamba'/ },
  { name: 'ckpt-truncated', args: score(at('ckpt-truncated'), at('requests.jsonl')), culprit: /ckpt-truncated\/model\.safetensors.*truncated/ },
  { name: 'ckpt-huge-header', args: score(at('ckpt-huge-header'), at('requests.jsonl')), culprit: /ckpt-huge-header\/model\.safetensors: header length \d+ exceeds/ },
  { name: 'ckpt-nan', args: score(at('ckpt-nan'), at('requests.jsonl')), culprit: /ckpt-nan\/model\.safetensors, field '[^']+': .*NaN/ },
  { name: 'ckpt-relabelled', args: score(at('ckpt-relabelled'), at('requests.jsonl')), culprit: /ckpt-relabelled\/model\.safetensors, field '[^']+': .*declared I32/ },
  { name: 'eval-bad-checkpoint', args: ['eval', '--model', at('ckpt-truncated'), '--task', 'blimp', '--data', at('blimp'), '--out', 'OUT', '--backend', 'wasm'], culprit: /ckpt-truncated\/model\.safetensors/ },
  // evaluation and fine-tuning
  { name: 'eval-unknown-task', args: ['eval', '--model', tiny(), '--task', 'nosuch', '--data', at('blimp'), '--out', 'OUT', '--backend', 'wasm'], culprit: /task 'nosuch'/ },
  { name: 'eval-unknown-setting', args: ['eval', '--model', tiny(), '--task', 'blimp', '--data', at('blimp'), '--out', 'OUT', '--set', 'batchsize=8', '--backend', 'wasm'], culprit: /field 'batchsize': unknown setting/ },
  { name: 'eval-set-syntax', args: ['eval', '--model', tiny(), '--task', 'blimp', '--data', at('blimp'), '--out', 'OUT', '--set', 'batchSize'], culprit: /field '--set': expected key=value, got 'batchSize'/ },
  { name: 'eval-bad-data', args: ['eval', '--model', tiny(), '--task', 'blimp', '--data', at('blimp-bad'), '--out', 'OUT', '--backend', 'wasm'], culprit: /blimp-bad\/agreement\.jsonl:2: invalid JSON/ },
  { name: 'finetune-unknown-setting', args: ['finetune', '--model', tiny(), '--task', 'rte', '--data', at('glue'), '--out', 'OUT', '--set', 'epochz=1', '--backend', 'wasm'], culprit: /field 'settings\.epochz': unknown setting/ },
  { name: 'finetune-missing-data', args: ['finetune', '--model', tiny(), '--task', 'rte', '--data', at('no-glue'), '--out', 'OUT', '--backend', 'wasm'], culprit: /no-glue/ },
  // reports and plugins
  { name: 'report-not-a-run', args: ['report', at('blimp'), '--out', 'OUT'], culprit: /blimp\/cells: no cells directory/ },
  { name: 'report-corrupt-results', args: ['report', at('run-corrupt'), '--out', 'OUT'], culprit: /run-corrupt\/cells\/m__c__seed1\/eval\/blimp\/results\.json: invalid JSON/ },
  { name: 'plugins-broken', args: ['plugins', '--plugin-path', at('plugins')], culprit: /^problem: class-it-plugin-broken \(/, exit: 2 },
];

/** The input corpus: valid inputs (a tiny pretrained model, a corpus, requests) and broken variants. */
async function writeInputs(): Promise<void> {
  await fs.mkdir(inputs, { recursive: true });
  await fs.mkdir(home, { recursive: true });
  await fs.copyFile(path.join(workspace, 'data/quickstart/corpus.txt'), at('corpus.txt'));
  const pre = spawnSync(process.execPath, [cli, 'pretrain', '--corpus', at('corpus.txt'), '--preset', 'gpt-tiny', '--out', at('tiny'), '--max-steps', '1',
    '--vocab-size', '300', '--sequence-length', '32', '--batch-size', '8', '--backend', 'wasm'], { encoding: 'utf8', env });
  expect(pre.status, pre.stderr).toBe(0);

  const qa = (prompt: string) => JSON.stringify({ prompt, reply: 'Yes.' });
  await fs.writeFile(at('qa-utf8.jsonl'), bytes(`${qa('Is it ok?')}\n{"prompt": "caf`, [0xe9], '", "reply": "x"}\n'));
  await fs.writeFile(at('qa-bad.csv'), 'prompt,reply\nok?,yes\nbro"ken,no\n');
  await fs.writeFile(at('qa-long.jsonl'), `${qa('short?')}\n${qa('x'.repeat(5000))}\n`);
  await fs.writeFile(at('utf8.yaml'), experiment(at('qa-utf8.jsonl')));
  await fs.writeFile(at('csv.yaml'), experiment(at('qa-bad.csv')));
  await fs.writeFile(at('long.yaml'), experiment(at('qa-long.jsonl'), ', maxLineBytes: 1000'));
  const good = experiment(at('qa-utf8.jsonl'));
  await fs.writeFile(at('syntax.yaml'), good.replace('seeds: [1]', 'seeds: [1'));
  await fs.writeFile(at('seed.yaml'), good.replace('seeds: [1]', 'seeds: [-1]'));
  await fs.writeFile(at('unknown-key.yaml'), `${good}colour: red\n`);
  await fs.writeFile(at('curriculum.yaml'), good.replace('curriculum: merged', 'curriculum: zigzag'));

  await fs.writeFile(at('corpus-utf8.txt'), bytes('a fine line\nna', [0xc3, 0x28], 've\n'));
  await fs.writeFile(at('corpus.bin'), bytes('PK', [0, 0, 1, 2, 3], '\n'));

  const request = (context: string, continuation: string) => JSON.stringify({ context, continuation });
  await fs.writeFile(at('requests.jsonl'), `${request('The dog', ' runs.')}\n`);
  await fs.writeFile(at('empty-continuation.jsonl'), `${request('The dog', ' runs.')}\n${request('The cat', '')}\n`);
  await fs.writeFile(at('score-utf8.jsonl'), bytes(`${request('a', ' b')}\n{"context": "`, [0xff, 0xfe], '", "continuation": " c"}\n'));
  await fs.writeFile(at('score-json.jsonl'), `${request('a', ' b')}\n\n{"context": "a", "continuation": \n`);
  const huge = createWriteStream(at('score-huge.jsonl'));
  huge.write(`${request('a', ' b')}\n{"context": "`);
  const block = Buffer.alloc(1 << 20, 'w');
  for (let i = 0; i < 200; i++) if (!huge.write(block)) await once(huge, 'drain');
  huge.end(`", "continuation": " c"}\n`);
  await once(huge, 'finish');

  await writeCheckpoints();

  await fs.mkdir(at('blimp'), { recursive: true });
  await fs.writeFile(at('blimp', 'agreement.jsonl'), `${JSON.stringify({ sentence_good: 'A dog runs.', sentence_bad: 'A dog run.', UID: 'agreement', pair_id: 0 })}\n`);
  await fs.mkdir(at('blimp-bad'), { recursive: true });
  await fs.writeFile(at('blimp-bad', 'agreement.jsonl'), `${JSON.stringify({ sentence_good: 'A dog runs.', sentence_bad: 'A dog run.', UID: 'agreement', pair_id: 0 })}\n{"sentence_good": \n`);
  await fs.mkdir(at('glue'), { recursive: true });
  for (const split of ['train', 'valid']) {
    await fs.writeFile(at('glue', `rte.${split}.jsonl`), `${JSON.stringify({ sentence1: 'A dog runs.', sentence2: 'An animal moves.', label: 0, idx: 0 })}\n`);
  }
  const cell = at('run-corrupt', 'cells', 'm__c__seed1');
  await fs.mkdir(path.join(cell, 'eval', 'blimp'), { recursive: true });
  await fs.writeFile(path.join(cell, 'cell.json'), JSON.stringify({ model: 'm', condition: 'c', seed: 1, status: 'done', startedAt: '2025-01-01T00:00:00Z' }));
  await fs.writeFile(path.join(cell, 'eval', 'blimp', 'results.json'), '{"task": "blimp", "score": 5');
  const plugin = at('plugins', 'class-it-plugin-broken');
  await fs.mkdir(plugin, { recursive: true });
  await fs.writeFile(path.join(plugin, 'package.json'), JSON.stringify({ name: 'class-it-plugin-broken', version: '1.0.0', 'class-it': { kind: 'evaluator', entry: './missing.js', core: '^0.1.0' } }));
}

/** Broken copies of the tiny model: no or bad config.json, unknown model_type, truncated or hostile safetensors, NaN, I32 labels. */
async function writeCheckpoints(): Promise<void> {
  const copy = async (name: string) => {
    await fs.cp(tiny(), at(name), { recursive: true });
    return at(name);
  };
  await fs.rm(path.join(await copy('ckpt-no-config'), 'config.json'));
  await fs.writeFile(path.join(await copy('ckpt-bad-config'), 'config.json'), '{"model_type": ');
  const unknown = await copy('ckpt-unknown-type');
  const config = JSON.parse(await fs.readFile(path.join(unknown, 'config.json'), 'utf8'));
  await fs.writeFile(path.join(unknown, 'config.json'), JSON.stringify({ ...config, model_type: 'mamba' }));

  const weights = await fs.readFile(path.join(tiny(), 'model.safetensors'));
  const headerLength = Number(weights.readBigUInt64LE(0));
  const header = JSON.parse(weights.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const data = weights.subarray(8 + headerLength);
  const withHeader = (h: object) => {
    const json = Buffer.from(JSON.stringify(h));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([length, json, data]);
  };
  await fs.writeFile(path.join(await copy('ckpt-truncated'), 'model.safetensors'), weights.subarray(0, Math.floor(weights.length / 2)));
  const hostile = Buffer.from(weights);
  hostile.writeBigUInt64LE(10n ** 12n, 0);
  await fs.writeFile(path.join(await copy('ckpt-huge-header'), 'model.safetensors'), hostile);
  const nan = Buffer.from(weights);
  const [name, entry] = Object.entries(header).find(([k]) => k !== '__metadata__')!;
  nan.writeFloatLE(Number.NaN, 8 + headerLength + entry.data_offsets[0] + 4 * 3);
  await fs.writeFile(path.join(await copy('ckpt-nan'), 'model.safetensors'), nan);
  expect(name).toBeTruthy();
  const relabelled = Object.fromEntries(Object.entries(header).map(([k, v]) => [k, k === '__metadata__' ? v : { ...v, dtype: 'I32' }]));
  await fs.writeFile(path.join(await copy('ckpt-relabelled'), 'model.safetensors'), withHeader(relabelled));
}

/** Every file under `dir`: its content hash (its size and mtime when large). */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const stat = await fs.stat(p);
        files.set(p, stat.size > 4 << 20 ? `${stat.size}:${stat.mtimeMs}` : createHash('sha1').update(await fs.readFile(p)).digest('hex'));
      }
    }
  };
  if (existsSync(dir)) await walk(dir);
  return files;
}

/** Files lost or changed between two snapshots, and files added outside `allowed`. */
function damage(before: Map<string, string>, after: Map<string, string>, allowed: string): string[] {
  const problems: string[] = [];
  for (const [file, print] of before) {
    if (!after.has(file)) problems.push(`lost ${file}`);
    else if (after.get(file) !== print) problems.push(`changed ${file}`);
  }
  for (const file of after.keys()) if (!before.has(file) && !file.startsWith(allowed + path.sep)) problems.push(`written outside --out: ${file}`);
  return problems;
}

function runCli(args: string[], cwd: string): Promise<{ status: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stderr }));
  });
}

let inputsBefore: Map<string, string>;

beforeAll(async () => {
  expect(existsSync(cli), 'build the workspace first (npm run build)').toBe(true);
  await fs.rm(root, { recursive: true, force: true });
  await writeInputs();
  inputsBefore = await snapshot(root);
}, 120_000);

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe.concurrent('every command refuses bad input with one line naming the culprit', () => {
  it.each(CASES)('$name', async ({ name, args, culprit, exit }) => {
    const dir = path.join(root, 'cases', name);
    const out = path.join(dir, 'out');
    // Earlier work in --out that a failing command must not touch.
    await fs.mkdir(path.join(out, 'earlier'), { recursive: true });
    await fs.writeFile(path.join(out, 'earlier', 'results.json'), JSON.stringify({ task: 'blimp', score: 61.5 }));
    await fs.writeFile(path.join(out, 'scores.jsonl'), '{"logprob": -1.5}\n');
    const before = await snapshot(dir);

    const res = await runCli(args.map((a) => a.replace(/^OUT/, out)), dir);
    const lines = res.stderr.trim().split('\n');
    const message = lines[lines.length - 1]!;
    expect(res.signal, res.stderr).toBeNull();
    expect(res.status, res.stderr).toBe(exit ?? 1);
    expect(message, res.stderr).toMatch(culprit);
    if (exit === undefined) expect(message).toMatch(/^(class-it: | {2}FAILED )/);
    expect(res.stderr, 'a stack trace reached the user').not.toMatch(/^\s+at \S/m);
    expect(lines.filter((l) => l.startsWith('class-it: ')).length, res.stderr).toBeLessThanOrEqual(1);
    expect(damage(before, await snapshot(dir), out)).toEqual([]);
  });
});

describe('shared inputs', () => {
  it('no command wrote into the inputs or the home directory', async () => {
    const now = await snapshot(inputs);
    const homeNow = await snapshot(home);
    const before = new Map([...inputsBefore].filter(([f]) => f.startsWith(inputs + path.sep)));
    expect(damage(before, now, path.join(root, 'nowhere'))).toEqual([]);
    expect([...homeNow.keys()]).toEqual([]);
  });
});
