import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase as createScratchDatabaseOnServer } from '@leadwise/db/testing';

/** Helpers for e2e tests: real `leadwise` processes, a scratch PostgreSQL database, a tiny real dataset. */

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(REPO_ROOT, 'apps/cli/bin/leadwise.mjs');

export interface LeadwiseProcess {
  child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves with the first stdout line that parses as JSON. */
  firstJsonLine(): Promise<Record<string, unknown>>;
  /** SIGINT and wait (graceful); SIGKILL after 20 s. */
  stop(): Promise<void>;
  /** SIGKILL: the process dies at once, as a crashed machine would. */
  kill(): Promise<void>;
}

export function startLeadwise(args: string[], env: NodeJS.ProcessEnv): LeadwiseProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let stdoutBuffer = '';
  const jsonWaiters: ((line: Record<string, unknown>) => void)[] = [];
  let firstJson: Record<string, unknown> | null = null;
  child.stdout!.on('data', (chunk: Buffer) => {
    log += chunk.toString();
    stdoutBuffer += chunk.toString();
    let newline;
    while ((newline = stdoutBuffer.indexOf('\n')) >= 0) {
      const line = stdoutBuffer.slice(0, newline);
      stdoutBuffer = stdoutBuffer.slice(newline + 1);
      if (firstJson === null && line.startsWith('{')) {
        firstJson = JSON.parse(line) as Record<string, unknown>;
        for (const waiter of jsonWaiters.splice(0)) waiter(firstJson);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const exited = once(child, 'exit');
  return {
    child,
    output: () => log,
    firstJsonLine: () =>
      new Promise((resolve, reject) => {
        if (firstJson) return resolve(firstJson);
        jsonWaiters.push(resolve);
        void exited.then(() => reject(new Error(`leadwise ${args.join(' ')} exited before printing JSON:\n${log}`)));
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs a leadwise command to completion; rejects with its output when it fails. */
export async function runLeadwise(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const proc = startLeadwise(args, env);
  const [code] = (await once(proc.child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`leadwise ${args.join(' ')} exited with ${code}:\n${proc.output()}`);
  return proc.output();
}

/** A new, empty PostgreSQL database on the TEST_DATABASE_URL server; `drop()` removes it. */
export function createScratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  return createScratchDatabaseOnServer('leadwise_e2e');
}

/**
 * A manifest over real Chapman-Shaoxing recordings (already extracted to `chapmanRoot`), labelled
 * by the data README's rule (normal = every #Dx code a sinus rhythm), with `perClass` normal and
 * abnormal records split half train, a quarter val, a quarter test. Returns the manifest path.
 */
/** Re-exported from the ecg fixtures so e2e and library tests build the same tiny dataset. */
export { writeChapmanManifest } from '@leadwise/ecg/testing';

export interface GraphqlResult<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export async function graphql<T = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown> = {}, apiKey?: string): Promise<T> {
  const request = () =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  let response: Response;
  try {
    response = await request();
  } catch (error) {
    // A kept-alive socket the server closed as the request left (its event loop was busy training,
    // embedded mode) resets; a query is safe to send again, a mutation is not.
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code !== 'ECONNRESET' || query.trimStart().startsWith('mutation')) throw error;
    response = await request();
  }
  const body = (await response.json()) as GraphqlResult<T>;
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data!;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number, onTimeout = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${onTimeout()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
