/** The version of the package a module belongs to (read from its package.json, one level above src/ or dist/). */
import { createRequire } from 'node:module';

export function packageVersion(moduleUrl: string): string {
  const require = createRequire(moduleUrl);
  return (require('../package.json') as { version: string }).version;
}
