#!/usr/bin/env node
/** Entry point of the `class-it` binary: run the program, turn errors into a message and a non-zero exit. */
import 'reflect-metadata';
import { buildProgram } from './program.js';
import { ClassItError } from '@class-it/core';

const program = buildProgram();
program.exitOverride((err) => {
  process.exit(err.exitCode);
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const verbose = process.argv.includes('--verbose');
  if (err instanceof ClassItError && !verbose) {
    console.error(`class-it: ${err.message}`);
  } else {
    console.error(`class-it: ${(err as Error)?.stack ?? String(err)}`);
  }
  process.exit(1);
}
