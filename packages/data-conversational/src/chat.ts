/**
 * Generic chat data: JSONL (or parquet/JSON) rows with `messages: [{role, content}]` (the format of most chat
 * datasets), and ShareGPT rows with `conversations: [{from, value}]`.
 */
import path from 'node:path';
import { z } from 'zod';
import { DataError, typeOf, type ChatMessage, type InstructionExample } from '@class-it/core';
import { RowDataset, rowLocation, type DataRow } from '@class-it/data-sources';

const ROLES = ['system', 'user', 'assistant'];

/** ShareGPT speaker names → chat roles. */
export const SHAREGPT_ROLES: Record<string, string> = {
  system: 'system', human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant', bot: 'assistant', chatgpt: 'assistant', model: 'assistant',
};

function messageList(row: DataRow, field: string): unknown[] {
  const list = row.value[field];
  if (!Array.isArray(list)) {
    throw new DataError(list === undefined || list === null ? 'missing field' : `expected an array of messages, got ${typeOf(list)}`, rowLocation(row, field));
  }
  if (list.length === 0) throw new DataError('no messages', rowLocation(row, field));
  return list;
}

function checkConversation(row: DataRow, field: string, messages: ChatMessage[]): InstructionExample {
  if (!messages.some((m) => m.role === 'assistant')) throw new DataError('no assistant message to learn from', rowLocation(row, field));
  return { kind: 'messages', messages, source: typeof row.value.source === 'string' ? row.value.source : undefined, id: `${path.basename(row.file)}:${row.line}` };
}

export function chatRowToExample(row: DataRow, field = 'messages'): InstructionExample {
  const messages = messageList(row, field).map((m, i): ChatMessage => {
    const where = `${field}[${i}]`;
    if (m === null || typeof m !== 'object') throw new DataError(`expected an object, got ${typeOf(m)}`, rowLocation(row, where));
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.includes(role)) {
      throw new DataError(`role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`, rowLocation(row, `${where}.role`));
    }
    if (typeof content !== 'string') throw new DataError(`expected a string, got ${typeOf(content)}`, rowLocation(row, `${where}.content`));
    return { role, content };
  });
  return checkConversation(row, field, messages);
}

export function shareGptRowToExample(row: DataRow, field = 'conversations'): InstructionExample {
  const messages = messageList(row, field).map((m, i): ChatMessage => {
    const where = `${field}[${i}]`;
    if (m === null || typeof m !== 'object') throw new DataError(`expected an object, got ${typeOf(m)}`, rowLocation(row, where));
    const { from, value } = m as Record<string, unknown>;
    const role = typeof from === 'string' ? SHAREGPT_ROLES[from.toLowerCase()] : undefined;
    if (!role) throw new DataError(`unknown speaker ${JSON.stringify(from)} (known: ${Object.keys(SHAREGPT_ROLES).join(', ')})`, rowLocation(row, `${where}.from`));
    if (typeof value !== 'string') throw new DataError(`expected a string, got ${typeOf(value)}`, rowLocation(row, `${where}.value`));
    return { role, content: value };
  });
  return checkConversation(row, field, messages);
}

export function createChatDataset() {
  return new RowDataset({
    name: 'chat',
    description: 'Chat data: rows with messages: [{role, content}] (JSONL, JSON, parquet)',
    settings: { field: z.string().min(1).default('messages') },
    toExamples: (row, s) => chatRowToExample(row, s.field),
  });
}

export function createShareGptDataset() {
  return new RowDataset({
    name: 'sharegpt',
    description: 'ShareGPT data: rows with conversations: [{from, value}] (human/gpt/system)',
    settings: { field: z.string().min(1).default('conversations') },
    toExamples: (row, s) => shareGptRowToExample(row, s.field),
  });
}
