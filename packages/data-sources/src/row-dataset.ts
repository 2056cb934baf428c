/**
 * A dataset plugin that maps rows of local or downloaded files to instruction examples. A plugin gives a name,
 * its own settings (added to the common source settings), an optional default source, and a row mapper.
 */
import { z } from 'zod';
import type { DatasetLoadOptions, InstructionDataset, InstructionExample, LoadedDataset } from '@class-it/core';
import { ExampleCollector } from './collect.js';
import { optionalString, readDataRows, requireString, type DataRow } from './rows.js';
import path from 'node:path';
import { parseSettings } from '@class-it/core';
import { resolveSourceFiles, sourceSettingsSchema, type SourceSettings } from './source.js';

export interface RowDatasetSpec<Shape extends z.ZodRawShape> {
  name: string;
  description: string;
  /** Plugin-specific settings, merged with the source settings (unknown keys are rejected). */
  settings?: Shape;
  /** Used when the experiment gives no path/url/hub. */
  defaultSource?: Partial<SourceSettings>;
  /** Columns to read from columnar files (parquet), if the mapper needs only some. */
  columns?: string[];
  /** Map one row to zero or more examples; throw a DataError (use `requireString`) for a bad row. */
  toExamples(row: DataRow, settings: SourceSettings & z.infer<z.ZodObject<Shape>>): InstructionExample | InstructionExample[] | undefined;
}

export class RowDataset<Shape extends z.ZodRawShape> implements InstructionDataset {
  readonly name: string;
  readonly description: string;
  private readonly schema: z.ZodObject;

  constructor(private readonly spec: RowDatasetSpec<Shape>) {
    this.name = spec.name;
    this.description = spec.description;
    this.schema = sourceSettingsSchema.extend(spec.settings ?? {}).strict();
  }

  async load(options: DatasetLoadOptions): Promise<LoadedDataset> {
    const settings = parseSettings(this.schema, options.settings, `dataset '${this.name}' settings`) as SourceSettings & z.infer<z.ZodObject<Shape>>;
    const files = await resolveSourceFiles(settings, { ...options, endpoint: options.hubEndpoint }, this.spec.defaultSource);
    const collector = new ExampleCollector(this.name, options.badRows, settings.limit);
    for (const file of files) {
      for await (const row of readDataRows(file, { format: settings.format, columns: this.spec.columns, maxLineBytes: settings.maxLineBytes })) {
        if (collector.full) break;
        collector.tryRow(() => {
          if (row.error) throw row.error;
          return this.spec.toExamples(row, settings);
        });
      }
      if (collector.full) break;
    }
    return collector.result();
  }
}

/** A CLASS-IT style dataset (HF `colinglab/CLASS_IT` config): string columns prompt, reply, source, text. */
export function classItRowToExample(row: DataRow): InstructionExample {
  const prompt = requireString(row, 'prompt');
  const reply = requireString(row, 'reply');
  const source = row.value.source;
  // The row's own `text` (the authors' training string, trained on with `render: text`), when it has one.
  const text = optionalString(row, 'text');
  return {
    kind: 'prompt-reply', prompt, reply, source: typeof source === 'string' && source ? source : undefined, id: `${path.basename(row.file)}:${row.line}`,
    ...(text ? { text } : {}),
  };
}

export const CLASS_IT_COLUMNS = ['prompt', 'reply', 'source', 'text'];
export const CLASS_IT_HUB_REPO = 'colinglab/CLASS_IT';
