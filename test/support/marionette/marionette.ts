// A minimal Marionette client (Gecko's remote protocol, length-prefixed JSON over TCP) to drive a real Thunderbird.
import { connect, type Socket } from 'node:net';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; command: string };

export class MarionetteError extends Error {}

/** One connection to Thunderbird's Marionette server (started by `MOZ_MARIONETTE=1` / `--marionette`). */
export class Marionette {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private greeting: ((value: unknown) => void) | null;
  private closed: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    greeted: (value: unknown) => void,
  ) {
    this.greeting = greeted;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.fail(new MarionetteError('connexion Marionette fermée')));
    socket.on('error', (error) => this.fail(new MarionetteError(`Marionette : ${error.message}`)));
  }

  /** Connects, retrying until Thunderbird listens (it opens the port once its first window is up). */
  static async connect(port: number, timeoutMs = 120_000): Promise<Marionette> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        return await new Promise<Marionette>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port });
          socket.once('error', reject);
          socket.once('connect', () => {
            socket.off('error', reject);
            const client = new Marionette(socket, () => resolve(client));
          });
        });
      } catch (error) {
        last = error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    throw new MarionetteError(
      `Marionette ne répond pas sur 127.0.0.1:${port} après ${timeoutMs} ms (${String(last)})`,
    );
  }

  private fail(error: Error): void {
    this.closed ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const colon = this.buffer.indexOf(0x3a);
      if (colon < 0) return;
      const length = Number(this.buffer.subarray(0, colon).toString('ascii'));
      if (this.buffer.length < colon + 1 + length) return;
      const body = this.buffer.subarray(colon + 1, colon + 1 + length).toString('utf8');
      this.buffer = this.buffer.subarray(colon + 1 + length);
      const message = JSON.parse(body) as unknown;
      if (this.greeting) {
        // The first packet is the server's hello ({ applicationType, marionetteProtocol }).
        const greeted = this.greeting;
        this.greeting = null;
        greeted(message);
        continue;
      }
      if (!Array.isArray(message) || message[0] !== 1) continue;
      const [, id, error, result] = message as [
        1,
        number,
        { error: string; message: string } | null,
        unknown,
      ];
      const waiting = this.pending.get(id);
      if (!waiting) continue;
      this.pending.delete(id);
      if (error)
        waiting.reject(new MarionetteError(`${waiting.command} : ${error.error} — ${error.message}`));
      else waiting.resolve(result);
    }
  }

  /** Sends one command and resolves with its result (the `value` field when there is one). */
  async send<T = unknown>(command: string, parameters: Record<string, unknown> = {}): Promise<T> {
    if (this.closed) throw this.closed;
    const id = this.nextId++;
    const body = Buffer.from(JSON.stringify([0, id, command, parameters]), 'utf8');
    const result = await new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, command });
      this.socket.write(Buffer.concat([Buffer.from(`${body.length}:`, 'ascii'), body]));
    });
    if (result && typeof result === 'object' && 'value' in result) return (result as { value: T }).value;
    return result as T;
  }

  /** A session in the chrome context (Thunderbird's own windows), where privileged scripts run. */
  async startChromeSession(): Promise<void> {
    await this.send('WebDriver:NewSession', { capabilities: { alwaysMatch: { acceptInsecureCerts: true } } });
    await this.send('Marionette:SetContext', { value: 'chrome' });
  }

  /**
   * Runs `body` as a privileged async function in Thunderbird's main window (`window`, `document`,
   * `Services` in scope; the arguments as `args`) and resolves with what it returns.
   */
  async run<T = unknown>(body: string, args: unknown[] = [], timeoutMs = 60_000): Promise<T> {
    const script =
      `const done = arguments[arguments.length - 1]; const args = [...arguments].slice(0, -1);\n` +
      `(async () => {\n${body}\n})().then((value) => done({ value }), (e) => done({ error: String(e) + '\\n' + (e && e.stack) }));`;
    const result = await this.send<{ value?: T; error?: string }>('WebDriver:ExecuteAsyncScript', {
      script,
      args,
      scriptTimeout: timeoutMs,
      newSandbox: true,
    });
    if (result && typeof result === 'object' && 'error' in result && result.error !== undefined)
      throw new MarionetteError(`script Thunderbird : ${result.error}`);
    return (result as { value: T }).value;
  }

  /** PNG of the whole chrome window (headless Gecko paints it too). */
  async screenshot(): Promise<Buffer> {
    const base64 = await this.send<string>('WebDriver:TakeScreenshot', { full: false, hash: false });
    return Buffer.from(base64, 'base64');
  }

  close(): void {
    this.socket.destroy();
  }
}
