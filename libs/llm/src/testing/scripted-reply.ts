import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a test server does with one request. */
export type ScriptedReply =
  /** A normal answer. `pAbnormal` sets the label step's alternatives when logprobs were requested. */
  | { kind: 'answer'; text: string; pAbnormal?: number; inputTokens?: number; outputTokens?: number }
  /** OpenAI: `message.refusal` with null content; Gemini: a SAFETY finish with no content. */
  | { kind: 'refusal'; text?: string }
  /** HTTP 200 whose body is cut off mid-JSON. */
  | { kind: 'malformed' }
  /** An error status in the provider's error shape, with Retry-After when given. */
  | { kind: 'status'; status: number; retryAfterS?: number; message?: string }
  /** Never answers; the connection stays open until the client gives up or the server closes. */
  | { kind: 'hang' };

/** One request as the server saw it, decoded for assertions and for scripts. */
export interface ReceivedRequest {
  index: number;
  path: string;
  model: string;
  /** Credential the client sent (tests check it arrived; never print it). */
  credential: string | null;
  body: unknown;
  promptText: string;
  /** SHA-256 of each image in the request, in order; the last is the image to classify. */
  imageSha256s: string[];
  /** 1 for the first request about this image (its last image), 2 for the next, ... */
  attempt: number;
  logprobsRequested: boolean;
  temperature: number | null;
  /** The client library as it names itself (`x-goog-api-client`, else `user-agent`), to check which SDK is talking. */
  client: string | null;
}

export type ReplyScript = (request: ReceivedRequest) => ScriptedReply | Promise<ScriptedReply>;

export interface TestServer {
  /** Base URL to hand to the SDK (OpenAI: ends in /v1; Gemini: the host, the SDK adds /v1beta). */
  baseUrl: string;
  requests: ReceivedRequest[];
  /** Requests answered per kind of reply, for checking a script ran as intended. */
  replies: Record<ScriptedReply['kind'], number>;
  close(): Promise<void>;
}

export function sha256OfBase64(data: string): string {
  return createHash('sha256').update(Buffer.from(data, 'base64')).digest('hex');
}

export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/**
 * Splits an answer into word, space and punctuation tokens, the way a BPE tokenizer roughly does,
 * and attaches log-probabilities: near-certain everywhere except the step that starts the label
 * value, where both labels are offered with probabilities pAbnormal and 1 - pAbnormal.
 */
export function synthesizeLogprobs(text: string, pAbnormal: number | undefined): { token: string; logprob: number; top: { token: string; logprob: number }[] }[] {
  const tokens = text.match(/\s+|[{}:,"]|[^\s{}:,"]+/g) ?? [];
  let afterLabelKey = 0;
  return tokens.map((token) => {
    const certain = { token, logprob: -0.0001, top: [{ token, logprob: -0.0001 }] };
    // States: 0 = looking for "label", 1 = seen label word, 2 = seen the colon, 3 = seen the opening quote.
    if (afterLabelKey === 0 && /^label$/i.test(token)) afterLabelKey = 1;
    else if (afterLabelKey === 1 && token === ':') afterLabelKey = 2;
    else if (afterLabelKey === 2 && token === '"') afterLabelKey = 3;
    else if (afterLabelKey === 3 && pAbnormal !== undefined && /^(abnormal|normal)$/i.test(token)) {
      afterLabelKey = 4;
      const isAbnormal = /^abnormal$/i.test(token);
      const pChosen = isAbnormal ? pAbnormal : 1 - pAbnormal;
      const other = isAbnormal ? 'normal' : 'abnormal';
      return { token, logprob: Math.log(pChosen), top: [{ token, logprob: Math.log(pChosen) }, { token: other, logprob: Math.log(1 - pChosen) }] };
    }
    return certain;
  });
}

export function emptyReplyCounts(): Record<ScriptedReply['kind'], number> {
  return { answer: 0, refusal: 0, malformed: 0, status: 0, hang: 0 };
}
