import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { vi } from 'vitest';
import { REPO } from './harness.js';

const run = promisify(execFile);

/** A toxic as Toxiproxy's HTTP API takes it (https://github.com/Shopify/toxiproxy#toxics). */
export interface Toxic {
  name: string;
  type: 'latency' | 'bandwidth' | 'reset_peer' | 'timeout' | 'slow_close' | 'slicer' | 'limit_data';
  stream: 'upstream' | 'downstream';
  toxicity?: number;
  attributes: Record<string, number>;
}

/**
 * Toxiproxy (github.com/Shopify/toxiproxy/v2, built from the Go module proxy by scripts/toxiproxy/build.sh and
 * cached in .cache/) as a child process on 127.0.0.1, driven through its HTTP API.
 */
export class Toxiproxy {
  private constructor(
    private readonly api: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(apiPort: number): Promise<Toxiproxy> {
    const { stdout } = await run('bash', [join(REPO, 'scripts/toxiproxy/build.sh')], { maxBuffer: 1 << 20 });
    const bin = stdout.trim().split('\n').at(-1) as string;
    const child = spawn(bin, ['-host', '127.0.0.1', '-port', String(apiPort)], { stdio: 'ignore' });
    const proxy = new Toxiproxy(`http://127.0.0.1:${apiPort}`, child);
    await vi.waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`toxiproxy-server exited with ${child.exitCode}`);
        const response = await fetch(`${proxy.api}/version`);
        if (!response.ok) throw new Error(`toxiproxy answers ${response.status}`);
      },
      { timeout: 30_000, interval: 200 },
    );
    return proxy;
  }

  private async call(method: string, path: string, body?: unknown): Promise<void> {
    const response = await fetch(`${this.api}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok)
      throw new Error(`toxiproxy ${method} ${path}: ${response.status} ${await response.text()}`);
  }

  createProxy(name: string, listen: string, upstream: string): Promise<void> {
    return this.call('POST', '/proxies', { name, listen, upstream, enabled: true });
  }

  addToxic(proxy: string, toxic: Toxic): Promise<void> {
    return this.call('POST', `/proxies/${proxy}/toxics`, { toxicity: 1, ...toxic });
  }

  /** A disabled proxy closes its connections and refuses new ones: the broker is down, as a client sees it. */
  setEnabled(proxy: string, enabled: boolean): Promise<void> {
    return this.call('POST', `/proxies/${proxy}`, { enabled });
  }

  removeToxic(proxy: string, name: string): Promise<void> {
    return this.call('DELETE', `/proxies/${proxy}/toxics/${name}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
