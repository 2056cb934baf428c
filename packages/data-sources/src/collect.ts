/**
 * Turning rows into examples under a bad-row policy: `fail` rethrows the first DataError (it names file, row and
 * field); `skip` records it and goes on, and the count is reported with the dataset.
 */
import type { BadRowPolicy, InstructionExample, LoadedDataset } from '@class-it/core';
import { DataError, formatLocation } from '@class-it/core';

export class ExampleCollector {
  private readonly examples: InstructionExample[] = [];
  private readonly skipped: LoadedDataset['skipped'] = [];

  constructor(readonly name: string, readonly policy: BadRowPolicy, readonly limit?: number) {}

  get full(): boolean {
    return this.limit !== undefined && this.examples.length >= this.limit;
  }

  add(example: InstructionExample | InstructionExample[] | undefined): void {
    for (const e of Array.isArray(example) ? example : example ? [example] : []) {
      if (this.full) return;
      this.examples.push(e);
    }
  }

  /** Run `build`; a DataError it throws is a bad row (rethrown or skipped by policy); other errors propagate. */
  tryRow(build: () => InstructionExample | InstructionExample[] | undefined): void {
    try {
      this.add(build());
    } catch (err) {
      if (!(err instanceof DataError) || this.policy === 'fail') throw err;
      const where = formatLocation(err.location);
      this.skipped.push({ where: where.replace(/: $/, ''), reason: err.message.startsWith(where) ? err.message.slice(where.length) : err.message });
    }
  }

  result(): LoadedDataset {
    return { name: this.name, examples: this.examples, skipped: this.skipped };
  }
}
