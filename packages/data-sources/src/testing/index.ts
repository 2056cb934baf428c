/**
 * A local stand-in for the Hub's file server, for tests of the downloader (`@class-it/data-sources/testing`):
 * `sendFileAsHub` answers a GET the way the Hub's `resolve/` URLs do (an ETag, byte ranges resumed when `If-Range`
 * matches it, `206` with a `Content-Range`) and can cut the connection halfway (a dropped transfer to resume);
 * `listenLocally` starts an HTTP server on 127.0.0.1 and a free port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export interface SendFileOptions {
  /** Send only the first half of the body, then close the connection (FIN mid-body). */
  cut?: boolean;
}

/** Answer `req` with `body` as the Hub's file server does (see the module comment). */
export function sendFileAsHub(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, options: SendFileOptions = {}): void {
  const etag = `"${createHash('sha256').update(body).digest('hex')}"`;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = range && req.headers['if-range'] === etag ? Number(range[1]) : 0;
  const rest = body.subarray(start);
  res.writeHead(start > 0 ? 206 : 200, {
    'content-length': rest.length, etag, 'accept-ranges': 'bytes',
    ...(start > 0 ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
  });
  if (options.cut) {
    res.write(rest.subarray(0, rest.length >> 1), () => res.socket!.end());
    return;
  }
  res.end(rest);
}

/** An HTTP server with `handler` on 127.0.0.1 and a free port; `endpoint` is its base URL. */
export async function listenLocally(handler: http.RequestListener): Promise<{ server: http.Server; endpoint: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, endpoint, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
