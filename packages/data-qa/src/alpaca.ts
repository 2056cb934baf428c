/**
 * Alpaca-style rows: `instruction`, optional `input`, `output`. The prompt is the instruction, followed by the
 * input after a blank line when there is one (the Alpaca convention); the reply is the output.
 */
import path from 'node:path';
import { RowDataset, optionalString, requireString, type DataRow } from '@class-it/data-sources';
import { type InstructionExample } from '@class-it/core';

export function alpacaRowToExample(row: DataRow): InstructionExample {
  const instruction = requireString(row, 'instruction');
  const input = optionalString(row, 'input')?.trim();
  const output = requireString(row, 'output');
  return { kind: 'prompt-reply', prompt: input ? `${instruction}\n\n${input}` : instruction, reply: output, id: `${path.basename(row.file)}:${row.line}` };
}

export function createAlpacaDataset() {
  return new RowDataset({
    name: 'alpaca',
    description: 'Alpaca-style instruction data: instruction, input (optional), output',
    toExamples: alpacaRowToExample,
  });
}
