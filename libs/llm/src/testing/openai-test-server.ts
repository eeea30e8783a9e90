import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { emptyReplyCounts, readBody, sendJson, sha256OfBase64, synthesizeLogprobs, type ReceivedRequest, type ReplyScript, type TestServer } from './scripted-reply.ts';

interface ChatBody {
  model?: string;
  messages?: { role: string; content: string | { type: string; text?: string; image_url?: { url: string } }[] }[];
  logprobs?: boolean;
  temperature?: number;
}

/**
 * A local server speaking OpenAI's Chat Completions wire format (`POST /v1/chat/completions`), as
 * the official SDK and OpenAI-compatible servers (vLLM, Ollama) do, including the `logprobs` shape
 * and error bodies. Each request's reply comes from `script`.
 */
export async function startOpenAiTestServer(options: { script: ReplyScript; apiKey?: string }): Promise<TestServer> {
  const requests: ReceivedRequest[] = [];
  const replies = emptyReplyCounts();
  const attemptsByImage = new Map<string, number>();
  const hanging = new Set<ServerResponse>();

  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      return sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
    }
    const credential = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '') || null;
    if (options.apiKey !== undefined && credential !== options.apiKey) {
      // Like the real API, echo the key back in the message: the client must redact it.
      return sendJson(res, 401, { error: { message: `Incorrect API key provided: ${credential}.`, type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    let body: ChatBody;
    try {
      body = JSON.parse(raw) as ChatBody;
    } catch {
      return sendJson(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
    }
    const parts = (body.messages ?? []).flatMap((m) => (typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content));
    const imageSha256s = parts
      .flatMap((p) => (p.type === 'image_url' && p.image_url ? [sha256OfBase64(p.image_url.url.replace(/^data:[^;]+;base64,/, ''))] : []));
    const lastImage = imageSha256s.at(-1) ?? '';
    const attempt = (attemptsByImage.get(lastImage) ?? 0) + 1;
    attemptsByImage.set(lastImage, attempt);
    const received: ReceivedRequest = {
      index: requests.length,
      path: req.url,
      model: body.model ?? '',
      credential,
      body,
      promptText: parts.filter((p) => p.type === 'text').map((p) => p.text ?? '').join('\n'),
      imageSha256s,
      attempt,
      logprobsRequested: body.logprobs === true,
      temperature: typeof body.temperature === 'number' ? body.temperature : null,
      client: (req.headers['user-agent'] as string | undefined) ?? null,
    };
    requests.push(received);
    const reply = await options.script(received);
    replies[reply.kind]++;
    const id = `chatcmpl-test-${received.index}`;
    const created = Math.floor(Date.now() / 1000);
    switch (reply.kind) {
      case 'hang':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assis');
      case 'status': {
        const headers: Record<string, string> = reply.retryAfterS !== undefined ? { 'retry-after': String(reply.retryAfterS) } : {};
        const type = reply.status === 429 ? 'rate_limit_exceeded' : reply.status >= 500 ? 'server_error' : 'invalid_request_error';
        return sendJson(res, reply.status, { error: { message: reply.message ?? `scripted ${reply.status}`, type, param: null, code: type } }, headers);
      }
      case 'refusal':
        return sendJson(res, 200, {
          id,
          object: 'chat.completion',
          created,
          model: received.model,
          choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: reply.text ?? "I'm sorry, I can't help with interpreting medical images." }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: 900, completion_tokens: 12, total_tokens: 912 },
        });
      case 'answer': {
        const content = received.logprobsRequested ? synthesizeLogprobs(reply.text, reply.pAbnormal) : null;
        const inputTokens = reply.inputTokens ?? 900;
        const outputTokens = reply.outputTokens ?? Math.max(1, Math.ceil(reply.text.length / 4));
        return sendJson(res, 200, {
          id,
          object: 'chat.completion',
          created,
          model: received.model,
          system_fingerprint: 'fp_leadwise_test',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: reply.text, refusal: null, annotations: [] },
              logprobs: content ? { content: content.map((t) => ({ ...t, bytes: [...Buffer.from(t.token)], top_logprobs: t.top.map((a) => ({ ...a, bytes: [...Buffer.from(a.token)] })) })).map(({ top: _top, ...t }) => t), refusal: null } : null,
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens, completion_tokens_details: { reasoning_tokens: 0 } },
        });
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
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
