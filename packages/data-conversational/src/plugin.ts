import { definePlugin } from '@class-it/core';
import { createSwitchboardDataset } from './switchboard.js';
import { createChatDataset, createShareGptDataset } from './chat.js';
import { TranscriptDataset } from './transcript.js';

export default [
  definePlugin({ kind: 'dataset', name: 'switchboard', description: createSwitchboardDataset().description, useFactory: () => createSwitchboardDataset() }),
  definePlugin({ kind: 'dataset', name: 'chat', description: createChatDataset().description, useFactory: () => createChatDataset() }),
  definePlugin({ kind: 'dataset', name: 'sharegpt', description: createShareGptDataset().description, useFactory: () => createShareGptDataset() }),
  definePlugin({ kind: 'dataset', name: 'dialogue-transcript', description: new TranscriptDataset().description, useFactory: () => new TranscriptDataset() }),
];
