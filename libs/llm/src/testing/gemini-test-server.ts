import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { emptyReplyCounts, readBody, sendJson, sha256OfBase64, synthesizeLogprobs, type ReceivedRequest, type ReplyScript, type TestServer } from './scripted-reply.ts';

interface GenerateBody {
  contents?: { role?: string; parts?: { text?: string; inlineData?: { mimeType: string; data: string } }[] }[];
  generationConfig?: { temperature?: number; responseLogprobs?: boolean };
}

const STATUS_NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

/**
 * A local server speaking the Gemini API's wire format as `@google/genai` uses it
 * (`POST /v1beta/models/{model}:generateContent`, key in `x-goog-api-key`, the SDK named in
 * `x-goog-api-client`; an error's JSON body is what `ApiError.message` carries), including Google's
 * error body with `google.rpc.RetryInfo` on 429 and `logprobsResult` when asked for.
 */
export async function startGeminiTestServer(options: { script: ReplyScript; apiKey?: string }): Promise<TestServer> {
  const requests: ReceivedRequest[] = [];
  const replies = emptyReplyCounts();
  const attemptsByImage = new Map<string, number>();
  const hanging = new Set<ServerResponse>();

  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const route = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !route) {
      return sendJson(res, 404, { error: { code: 404, message: `no route ${req.method} ${req.url}`, status: 'NOT_FOUND' } });
    }
    const credential = (req.headers['x-goog-api-key'] as string | undefined) ?? null;
    if (options.apiKey !== undefined && credential !== options.apiKey) {
      return sendJson(res, 400, { error: { code: 400, message: `API key not valid: ${credential}. Please pass a valid API key.`, status: 'INVALID_ARGUMENT' } });
    }
    let body: GenerateBody;
    try {
      body = JSON.parse(raw) as GenerateBody;
    } catch {
      return sendJson(res, 400, { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } });
    }
    const parts = (body.contents ?? []).flatMap((c) => c.parts ?? []);
    const imageSha256s = parts.flatMap((p) => (p.inlineData ? [sha256OfBase64(p.inlineData.data)] : []));
    const lastImage = imageSha256s.at(-1) ?? '';
    const attempt = (attemptsByImage.get(lastImage) ?? 0) + 1;
    attemptsByImage.set(lastImage, attempt);
    const received: ReceivedRequest = {
      index: requests.length,
      path: req.url ?? '',
      model: decodeURIComponent(route[1]),
      credential,
      body,
      promptText: parts.filter((p) => typeof p.text === 'string').map((p) => p.text).join('\n'),
      imageSha256s,
      attempt,
      logprobsRequested: body.generationConfig?.responseLogprobs === true,
      temperature: body.generationConfig?.temperature ?? null,
      client: ((req.headers['x-goog-api-client'] ?? req.headers['user-agent']) as string | undefined) ?? null,
    };
    requests.push(received);
    const reply = await options.script(received);
    replies[reply.kind]++;
    const usageMetadata = (input: number, output: number) => ({ promptTokenCount: input, candidatesTokenCount: output, totalTokenCount: input + output });
    switch (reply.kind) {
      case 'hang':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
        return res.end('{"candidates": [{"content": {"parts": [{"text": "{\\"label');
      case 'status': {
        const details = reply.status === 429 && reply.retryAfterS !== undefined ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${reply.retryAfterS}s` }] : undefined;
        const headers: Record<string, string> = reply.retryAfterS !== undefined ? { 'retry-after': String(reply.retryAfterS) } : {};
        return sendJson(res, reply.status, { error: { code: reply.status, message: reply.message ?? `scripted ${reply.status}`, status: STATUS_NAMES[reply.status] ?? 'UNKNOWN', ...(details ? { details } : {}) } }, headers);
      }
      case 'refusal':
        return sendJson(res, 200, {
          candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'MEDIUM', blocked: true }] }],
          usageMetadata: usageMetadata(1100, 0),
          modelVersion: received.model,
        });
      case 'answer': {
        const tokens = received.logprobsRequested ? synthesizeLogprobs(reply.text, reply.pAbnormal) : null;
        return sendJson(res, 200, {
          candidates: [
            {
              content: { parts: [{ text: reply.text }], role: 'model' },
              finishReason: 'STOP',
              index: 0,
              ...(tokens
                ? {
                    avgLogprobs: tokens.reduce((s, t) => s + t.logprob, 0) / Math.max(tokens.length, 1),
                    logprobsResult: {
                      chosenCandidates: tokens.map((t, i) => ({ token: t.token, tokenId: i, logProbability: t.logprob })),
                      topCandidates: tokens.map((t) => ({ candidates: t.top.map((a, i) => ({ token: a.token, tokenId: i, logProbability: a.logprob })) })),
                    },
                  }
                : {}),
            },
          ],
          usageMetadata: usageMetadata(reply.inputTokens ?? 1100, reply.outputTokens ?? Math.max(1, Math.ceil(reply.text.length / 4))),
          modelVersion: received.model,
        });
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    replies,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
