import { useEffect, useState } from 'react';

/** Where the app is: `#/runs/12/predictions?misclassified=true` -> path segments and query. */
export interface Route {
  segments: string[];
  query: URLSearchParams;
}

function currentRoute(): Route {
  const hash = window.location.hash.replace(/^#/, '') || '/';
  const [path = '/', search = ''] = hash.split('?');
  return { segments: path.split('/').filter(Boolean), query: new URLSearchParams(search) };
}

/** Hash routing: the server serves one index.html, and links work without a history fallback. */
export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** `href('/runs', 3, 'predictions', { split: 'TEST' })` -> `#/runs/3/predictions?split=TEST`; empty query values are left out. */
export function href(...parts: (string | number | Record<string, string | number | boolean | null | undefined>)[]): string {
  const query = new URLSearchParams();
  const path: string[] = [];
  for (const part of parts) {
    if (typeof part === 'object') {
      for (const [key, value] of Object.entries(part)) if (value !== null && value !== undefined && value !== '') query.set(key, String(value));
    } else path.push(String(part).replace(/^\/+/, ''));
  }
  const search = query.toString();
  return `#/${path.filter(Boolean).join('/')}${search ? `?${search}` : ''}`;
}

export function navigate(to: string): void {
  window.location.hash = to.replace(/^#/, '');
}
