/**
 * Where the job queue lives: a Redis server named by `redis://[user:password@]host[:port][/db]` (`rediss://` for
 * TLS), parsed once here into the options BullMQ and ioredis take, and checked with a PING before use so that a
 * wrong address fails at once with a message instead of retrying forever.
 */
import { Redis } from 'ioredis';
import type { RedisOptions } from 'bullmq';
import { ConfigError } from '@class-it/core';

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The address without its password, for messages. */
  display: string;
}

const DEFAULT_PORT = 6379;

/** Parse `redis://host:port/db`; `field` names the option or argument the text came from, for the error. */
export function parseRedisUrl(text: string, field = '--queue'): RedisTarget {
  const bad = (why: string) => new ConfigError(`'${text}' is not a Redis address (${why}); expected redis://host[:port][/db]`, { field });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw bad(`scheme '${url.protocol.replace(/:$/, '')}'`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad('no host');
  const port = url.port ? Number(url.port) : DEFAULT_PORT;
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) throw bad(`database '${dbText}' is not a number`);
  if (url.search || url.hash) throw bad('query strings and fragments are not supported');
  const db = dbText === '' ? 0 : Number(dbText);
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const tls = url.protocol === 'rediss:';
  return { host, port, db, username, password, tls, display: `${url.protocol}//${url.host}/${db}` };
}

/** The connection options of BullMQ's queues and workers (`maxRetriesPerRequest: null`, as BullMQ requires). */
export function connectionOptions(target: RedisTarget): RedisOptions {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Connect once and PING; throws a ConfigError naming the address when the server cannot be reached. */
export async function checkReachable(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = new Redis({ ...connectionOptions(target), lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let cause: Error | undefined; // the socket's error (connect() itself only says the connection closed)
  client.on('error', (err: Error) => (cause ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new ConfigError(`cannot reach the Redis server at ${target.display}: ${(cause ?? (err as Error)).message || String(err)}`, { field: '--queue' });
  } finally {
    client.disconnect();
  }
}
