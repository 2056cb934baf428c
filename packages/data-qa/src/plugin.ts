import { definePlugin } from '@class-it/core';
import { createSimpleWikiDataset } from './simple-wiki.js';
import { createAlpacaDataset } from './alpaca.js';
import { createSquadDataset } from './squad.js';

export default [
  definePlugin({ kind: 'dataset', name: 'simple_wiki', description: createSimpleWikiDataset().description, useFactory: () => createSimpleWikiDataset() }),
  definePlugin({ kind: 'dataset', name: 'alpaca', description: createAlpacaDataset().description, useFactory: () => createAlpacaDataset() }),
  definePlugin({ kind: 'dataset', name: 'squad', description: createSquadDataset().description, useFactory: () => createSquadDataset() }),
];
