/**
 * Keys must never reach logs, error messages or the database. Known secrets are replaced wherever
 * they occur, and anything shaped like a provider key is masked even when we were not told of it
 * (servers echo keys back in 401 messages).
 */

const KEY_SHAPES: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{6,}/g, // OpenAI and most OpenAI-compatible servers
  /\bAIza[0-9A-Za-z_-]{10,}/g, // Google API keys
  /(Bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/gi,
  // Credentials inside URLs: `scheme://user:password@host` and secret-named query parameters.
  /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi,
  /([?&][\w.-]*(?:key|token|secret|pass|password|auth|signature|sig|credential)[\w.-]*=)[^&#\s]+/gi,
];

export function redactSecrets(text: string, secrets: readonly (string | null | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  for (const shape of KEY_SHAPES) {
    out = out.replace(shape, (match, prefix?: string) => {
      if (typeof prefix !== 'string' || !match.startsWith(prefix)) return '[redacted]';
      // A URL's user info keeps its `@`, so the host stays readable.
      return match.endsWith('@') ? `${prefix}[redacted]@` : `${prefix}[redacted]`;
    });
  }
  return out;
}
