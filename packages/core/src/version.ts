import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** Version of this @class-it/core package (plugins declare a range of it). */
export const CORE_VERSION: string = (require('../package.json') as { version: string }).version;
