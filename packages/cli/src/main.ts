#!/usr/bin/env node
/** Entry point of the `class-it` binary: run the program; an error is one line on stderr and exit code 1. */
import 'reflect-metadata';
import { buildProgram } from './program.js';
import { errorMessage } from './error-message.js';

const fail = (err: unknown): never => {
  console.error(errorMessage(err, process.argv.includes('--verbose')));
  process.exit(1);
};
// An error that escapes the command's promise chain (a stray callback or promise) gets the same one line.
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

const program = buildProgram();
program.exitOverride((err) => {
  process.exit(err.exitCode);
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  fail(err);
}
