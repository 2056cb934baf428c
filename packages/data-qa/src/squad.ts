/**
 * SQuAD-style reading comprehension: `context`, `question`, `answers`. Accepted shapes of `answers`: the HF
 * datasets layout `{text: [...], answer_start: [...]}`, a list of `{text}` objects, or a list of strings. The
 * official nested JSON (`data[].paragraphs[].qas[]`) is flattened first. Unanswerable questions (SQuAD 2.0,
 * no answers) are skipped unless `unanswerable` is set, in which case they get that reply.
 *
 * prompt = `{context}\n\nQuestion: {question}` (template configurable with {context} and {question}); reply = the
 * first answer.
 */
import path from 'node:path';
import { z } from 'zod';
import { DataError, typeOf, type InstructionExample } from '@class-it/core';
import { RowDataset, requireString, rowLocation, type DataRow } from '@class-it/data-sources';

export interface SquadOptions {
  promptTemplate: string;
  unanswerable?: string;
}

export function squadAnswers(row: DataRow): string[] {
  const a = row.value.answers;
  const fail = (what: string) => new DataError(what, rowLocation(row, 'answers'));
  if (a === undefined || a === null) throw fail('missing field');
  let texts: unknown[];
  if (Array.isArray(a)) texts = a.map((x) => (x !== null && typeof x === 'object' ? (x as { text?: unknown }).text : x));
  else if (typeof a === 'object' && Array.isArray((a as { text?: unknown }).text)) texts = (a as { text: unknown[] }).text;
  else throw fail(`expected {text: [...]} or a list of answers, got ${typeOf(a)}`);
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new DataError(`expected a string, got ${typeOf(t)}`, rowLocation(row, `answers.text[${i}]`));
  });
  return (texts as string[]).filter((t) => t.trim() !== '');
}

export function squadRowToExample(row: DataRow, options: SquadOptions): InstructionExample | undefined {
  const context = requireString(row, 'context');
  const question = requireString(row, 'question');
  const answers = squadAnswers(row);
  if (answers.length === 0 && options.unanswerable === undefined) return undefined;
  const prompt = options.promptTemplate.replaceAll('{context}', context).replaceAll('{question}', question);
  return { kind: 'prompt-reply', prompt, reply: answers[0] ?? options.unanswerable!, id: typeof row.value.id === 'string' ? row.value.id : `${path.basename(row.file)}:${row.line}` };
}

/** Flatten the official SQuAD JSON (`{data: [{paragraphs: [{context, qas: [{id, question, answers}]}]}]}`) into rows. */
export function flattenSquadJson(row: DataRow): DataRow[] {
  const paragraphs = row.value.paragraphs;
  if (!Array.isArray(paragraphs)) return [row];
  const rows: DataRow[] = [];
  paragraphs.forEach((p: { context?: unknown; qas?: unknown }) => {
    if (!Array.isArray(p?.qas)) throw new DataError('expected paragraphs[].qas to be a list', rowLocation(row, 'paragraphs'));
    for (const qa of p.qas as Array<Record<string, unknown>>) rows.push({ file: row.file, line: row.line, value: { context: p.context, ...qa } });
  });
  return rows;
}

export function createSquadDataset() {
  return new RowDataset({
    name: 'squad',
    description: 'SQuAD-style reading comprehension: context, question, answers (flat rows or the official nested JSON)',
    settings: {
      promptTemplate: z.string().includes('{question}').default('{context}\n\nQuestion: {question}'),
      unanswerable: z.string().optional(),
    },
    toExamples: (row, s) => flattenSquadJson(row).map((r) => squadRowToExample(r, s)).filter((e) => e !== undefined),
  });
}
