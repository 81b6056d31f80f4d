/**
 * One raw HTTPS request, for tests that must send exactly the bytes they mean (malformed bodies, odd content types,
 * a given identity's TLS agent) and read exactly what came back, without any client library in between.
 */
import { type Agent, request } from 'node:https';

export interface RawReply {
  status: number;
  body: string;
}

export interface RawRequest {
  url: URL | string;
  method: string;
  path: string;
  agent: Agent | undefined;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export function rawRequest(r: RawRequest): Promise<RawReply> {
  const u = typeof r.url === 'string' ? new URL(r.url) : r.url;
  const headers = { ...(r.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(r.body)) } : {}), ...(r.headers ?? {}) };
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: r.method, path: r.path, agent: r.agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(r.body);
  });
}
