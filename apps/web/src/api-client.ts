import { print } from '@0no-co/graphql.web';
import type { TadaDocumentNode } from 'gql.tada';
import { useCallback, useEffect, useRef, useState } from 'react';

/** The API's GraphQL endpoint on the server that serves this app. */
export const GRAPHQL_PATH = '/graphql';

const API_KEY_STORAGE = 'leadwise.apiKey';

/** The API key lives in sessionStorage only: gone when the tab closes, never in localStorage or a cookie. */
export function storedApiKey(): string {
  return sessionStorage.getItem(API_KEY_STORAGE) ?? '';
}

export function storeApiKey(key: string): void {
  if (key) sessionStorage.setItem(API_KEY_STORAGE, key);
  else sessionStorage.removeItem(API_KEY_STORAGE);
}

export function authHeaders(): Record<string, string> {
  const key = storedApiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Sends one operation; GraphQL errors become an ApiError with the first error's message and code. */
export async function request<Result, Variables>(document: TadaDocumentNode<Result, Variables>, variables: Variables, signal?: AbortSignal): Promise<Result> {
  const response = await fetch(GRAPHQL_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders() },
    body: JSON.stringify({ query: print(document), variables }),
    signal,
  });
  const body = (await response.json().catch(() => null)) as { data?: Result; errors?: { message: string; extensions?: { code?: string } }[] } | null;
  if (!body) throw new ApiError(`the API answered HTTP ${response.status}`);
  if (body.errors?.length) throw new ApiError(body.errors[0]!.message, body.errors[0]!.extensions?.code);
  return body.data as Result;
}

export interface QueryState<Result> {
  data: Result | undefined;
  error: ApiError | null;
  loading: boolean;
  refetch: () => void;
}

/**
 * Runs a query when its variables change (and every `pollMs` while `pollMs` is set, for live
 * progress); keeps the last data while a new answer is on its way. `skip` leaves it idle.
 */
export function useQuery<Result, Variables>(
  document: TadaDocumentNode<Result, Variables>,
  variables: Variables,
  options: { pollMs?: number; skip?: boolean } = {},
): QueryState<Result> {
  const [data, setData] = useState<Result>();
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(!options.skip);
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(variables);
  const documentRef = useRef(document);
  documentRef.current = document;

  useEffect(() => {
    if (options.skip) {
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    request(documentRef.current, JSON.parse(key) as Variables, controller.signal)
      .then((result) => {
        setData(result);
        setError(null);
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        setError(e instanceof ApiError ? e : new ApiError(e instanceof Error ? e.message : String(e)));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [key, generation, options.skip]);

  useEffect(() => {
    if (!options.pollMs || options.skip) return;
    const timer = setInterval(() => setGeneration((g) => g + 1), options.pollMs);
    return () => clearInterval(timer);
  }, [options.pollMs, options.skip]);

  const refetch = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, refetch };
}
