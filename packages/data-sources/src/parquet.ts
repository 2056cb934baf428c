/**
 * Parquet rows, streamed one row group at a time with hyparquet (a file is never decoded whole). Row numbers in
 * errors are 1-based over the whole file.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { DataError } from '@class-it/core';

export interface ParquetRow {
  /** 1-based row number in the file. */
  row: number;
  value: Record<string, unknown>;
}

export async function parquetColumns(file: string): Promise<string[]> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await readMetadata(file, buffer);
  return parquetSchema(metadata).children.map((c) => c.element.name);
}

export async function* readParquetRows(file: string, options: { columns?: string[] } = {}): AsyncGenerator<ParquetRow> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await readMetadata(file, buffer);
  if (options.columns) {
    const present = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
    const missing = options.columns.filter((c) => !present.has(c));
    if (missing.length) {
      throw new DataError(`missing column(s) ${missing.join(', ')} (the file has ${[...present].join(', ')})`, { file, field: missing[0] });
    }
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Array<Record<string, unknown>>;
    try {
      rows = await parquetReadObjects({ file: buffer, metadata, columns: options.columns, rowStart, rowEnd });
    } catch (err) {
      throw new DataError(`cannot decode rows ${rowStart + 1}-${rowEnd}: ${(err as Error).message}`, { file }, { cause: err });
    }
    for (let i = 0; i < rows.length; i++) yield { row: rowStart + i + 1, value: rows[i]! };
    rowStart = rowEnd;
  }
}

async function readMetadata(file: string, buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>) {
  try {
    return await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new DataError(`not a readable parquet file: ${(err as Error).message}`, { file }, { cause: err });
  }
}
