/**
 * The app's location lives in the URL hash: `#/<page>?key=value&...`. Each page keeps the state a
 * researcher would want to bookmark, share or get back to (the prompt, the chosen models and SAEs,
 * the index and feature) in those parameters, so reload, back/forward and shared links work.
 */
import { useCallback, useEffect, useState } from 'react';

export type RouteParams = Record<string, string | number | boolean | null | undefined>;

export interface Route {
  page: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const page = (q < 0 ? body : body.slice(0, q)).split('/')[0];
  return { page, params: new URLSearchParams(q < 0 ? '' : body.slice(q + 1)) };
}

/**
 * `#/page?k=v`: values that are null or undefined are left out, and so is '' unless `keepEmpty`
 * (a field the user emptied stays empty instead of falling back to the page's default).
 */
export function routeHref(page: string, params: RouteParams = {}, options: { keepEmpty?: boolean } = {}): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && (v !== '' || options.keepEmpty)) search.set(k, String(v));
  const s = search.toString();
  return `#/${page}${s ? `?${s}` : ''}`;
}

/** Go to a page (a new history entry), or replace the current entry (state that changes as you type). */
export function navigate(page: string, params: RouteParams = {}, options: { replace?: boolean; keepEmpty?: boolean } = {}): void {
  const href = routeHref(page, params, { keepEmpty: options.keepEmpty });
  if (location.hash === href) return;
  if (options.replace) {
    history.replaceState(history.state, '', href);
    // replaceState fires no hashchange: tell the listeners ourselves.
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else location.hash = href;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

/**
 * The current page's parameters, and a setter that merges changes into the URL (replacing the
 * history entry unless `push` is asked for, e.g. when the user opens another feature).
 */
export function usePageParams(page: string): [URLSearchParams, (changes: RouteParams, options?: { push?: boolean }) => void] {
  const route = useRoute();
  const params = route.page === page ? route.params : new URLSearchParams();
  const update = useCallback(
    (changes: RouteParams, options: { push?: boolean } = {}) => {
      const current = parseHash(location.hash);
      const merged: RouteParams = Object.fromEntries(current.page === page ? current.params.entries() : []);
      Object.assign(merged, changes);
      // The page's own state: an emptied field is kept as `k=` (null removes a key).
      navigate(page, merged, { replace: !options.push, keepEmpty: true });
    },
    [page],
  );
  return [params, update];
}
