/**
 * A cell's answers to the experiment's `report.samples` prompts: greedy (so reruns and conditions compare like for
 * like), through the cell model's chat template for messages, written once to the cell's `samples.json` (core's
 * `SAMPLES_FILE` record) for the report to show side by side.
 */
import path from 'node:path';
import {
  ClassItError, SAMPLES_FILE, canGenerate, readJsonObjectIfExists, writeJsonAtomic,
  type ChatMessage, type GenerationPrompt, type SamplesRecord, type TrainableModel,
} from '@class-it/core';
import { chatPromptIds, generationTemplate } from '@class-it/instruct';
import type { ReportSpec, SampleSpec } from '../config/experiment.js';

/** The prompt text a reader sees for a sample. */
export function samplePromptText(sample: SampleSpec): string {
  if (typeof sample === 'string') return sample;
  if ('prompt' in sample) return sample.prompt;
  return sample.messages.map((m) => `${m.role}: ${m.content}`).join('\n');
}

/** Write `<cellDir>/samples.json` unless it is there already (then the model is not loaded); returns its path. */
export async function writeCellSamples(
  loadModel: () => Promise<TrainableModel>, modelDir: string, report: ReportSpec, cellDir: string,
): Promise<string> {
  const file = path.join(cellDir, SAMPLES_FILE);
  if (await readJsonObjectIfExists(file)) return file;
  const model = await loadModel();
  if (!canGenerate(model)) throw new ClassItError(`report.samples: the ${model.architecture} model cannot generate text`);
  const template = await generationTemplate(modelDir, model.tokenizer);
  const prompts: GenerationPrompt[] = report.samples.map((sample) => {
    if (typeof sample !== 'string' && 'prompt' in sample) return sample.prompt;
    const messages: ChatMessage[] = typeof sample === 'string' ? [{ role: 'user', content: sample }] : sample.messages;
    return { ids: chatPromptIds(template, messages, model.tokenizer) };
  });
  const outputs = [];
  // One prompt at a time: an answer does not depend on the other prompts' padding.
  for (const prompt of prompts) outputs.push(...(await model.generate([prompt], { maxNewTokens: report.maxNewTokens, doSample: false })));
  const record: SamplesRecord = {
    maxNewTokens: report.maxNewTokens,
    samples: outputs.map((out, i) => ({ prompt: samplePromptText(report.samples[i]!), text: out.text, finishReason: out.finishReason })),
  };
  await writeJsonAtomic(file, record);
  return file;
}
