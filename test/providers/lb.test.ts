import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server } from 'node:net';
import { LoadBalancer } from '../../providers/inmemory/lb.js';

/** A member that answers every connection with its own name. */
async function member(host: string, name: string): Promise<Server> {
  // Health probes connect and hang up at once: the member must shrug off the reset.
  const s = createServer((c) => { c.on('error', () => {}); c.end(name); });
  await new Promise<void>((r) => s.listen(0, host, () => r()));
  return s;
}
const portOf = (s: Server): number => (s.address() as { port: number }).port;

function ask(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection({ host, port });
    let got = '';
    c.on('data', (d) => (got += d.toString()));
    c.on('close', () => resolve(got));
    c.on('error', reject);
  });
}

const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

test('spreads connections over members and fails over when one dies', async () => {
  const a = await member('127.20.0.1', 'a');
  const b = await member('127.20.0.2', 'b');
  const lb = new LoadBalancer({ host: '127.20.0.100', port: 26443, healthIntervalMs: 200 });
  await lb.start();
  try {
    lb.setBackends([{ host: '127.20.0.1', port: portOf(a) }, { host: '127.20.0.2', port: portOf(b) }]);
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) answers.add(await ask('127.20.0.100', 26443));
    assert.deepEqual([...answers].sort(), ['a', 'b']);

    // Member a goes away without telling the balancer: every connection must still be answered, by b.
    await close(a);
    for (let i = 0; i < 6; i++) assert.equal(await ask('127.20.0.100', 26443), 'b');
    assert.equal(lb.backends().find((m) => m.host === '127.20.0.1')?.healthy, false);

    // It comes back on the same address and port: the health check puts it back in rotation.
    const a2 = createServer((c) => { c.on('error', () => {}); c.end('a'); });
    await new Promise<void>((r) => a2.listen(lb.backends().find((m) => m.host === '127.20.0.1')!.port, '127.20.0.1', () => r()));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(lb.backends().find((m) => m.host === '127.20.0.1')?.healthy, true);
    const back = new Set<string>();
    for (let i = 0; i < 6; i++) back.add(await ask('127.20.0.100', 26443));
    assert.deepEqual([...back].sort(), ['a', 'b']);
    await close(a2);
  } finally {
    await lb.close();
    await close(b);
  }
});

test('with no live member a connection is closed, not hung', async () => {
  const lb = new LoadBalancer({ host: '127.20.0.101', port: 26443 });
  await lb.start();
  try {
    lb.setBackends([{ host: '127.20.0.9', port: 1 }]);
    assert.equal(await ask('127.20.0.101', 26443), '');
  } finally {
    await lb.close();
  }
});

test('connections through the balancer release their sockets when the client hangs up (no fd leak behind a TLS member)', async () => {
  const { readdirSync } = await import('node:fs');
  const { connect } = await import('node:tls');
  const { startApiServer } = await import('../../apiserver/index.js');
  const { parseKubeconfig } = await import('../../lib/kubeconfig.js');
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const srv = await startApiServer({ port: 0, bindAddress: '127.20.1.1' });
  const lb = new LoadBalancer({ host: '127.20.1.100', port: 26445 });
  await lb.start();
  try {
    lb.setBackends([{ host: '127.20.1.1', port: srv.port }]);
    const kc = parseKubeconfig(srv.adminKubeconfig());
    // As kubectl does when it exits: the request is answered, then the client closes without a TLS close_notify.
    const one = (halfClose: boolean): Promise<void> => new Promise((resolve) => {
      const s = connect({ host: '127.20.1.100', port: 26445, ca: kc.caPem, cert: kc.clientCertPem, key: kc.clientKeyPem, servername: 'localhost' },
        () => s.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n'));
      let got = '';
      s.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.trim().endsWith('}')) {
          if (halfClose) s.end();
          else s.destroy();
        }
      });
      s.on('end', () => s.destroy());
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    await one(true);
    await new Promise((r) => setTimeout(r, 200));
    const before = fds();
    for (let i = 0; i < 30; i++) await one(i % 2 === 0);
    let after = fds();
    for (let i = 0; i < 40 && after > before; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = fds();
    }
    assert.ok(after <= before, `fds before ${before}, after 30 connections ${after}`);
  } finally {
    await lb.close();
    await srv.close();
  }
});
