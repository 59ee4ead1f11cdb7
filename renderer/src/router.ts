/**
 * The app's location lives in the URL hash: `#/<page>?key=value&...`. Each page keeps the state a
 * researcher would want to bookmark, share or get back to (the prompt, the chosen models and SAEs,
 * the index and feature) in those parameters, so reload, back/forward and shared links work.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

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

/** Where pages keep their last parameters (this tab's sessionStorage in the app). */
export interface ParamsMemory {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const memoryKey = (page: string) => `workbench.params.${page}`;

/**
 * The parameters to restore when a page that remembers its state is opened bare (from the
 * sidebar, or back from another page): its last ones, or null when it was given some or has none.
 */
export function paramsToRestore(memory: ParamsMemory, page: string, current: URLSearchParams): URLSearchParams | null {
  if ([...current.keys()].length > 0) return null;
  const saved = memory.getItem(memoryKey(page));
  return saved ? new URLSearchParams(saved) : null;
}

export function rememberParams(memory: ParamsMemory, page: string, params: URLSearchParams): void {
  memory.setItem(memoryKey(page), params.toString());
}

/**
 * usePageParams for a page whose state is work the user would lose (Compare's chosen indexes, its
 * diff and selection): opened bare, it comes back as it was left in this tab; every change is
 * remembered. A link that names parameters opens exactly what it names.
 */
export function useRememberedPageParams(page: string, memory: ParamsMemory = sessionStorage): ReturnType<typeof usePageParams> {
  const [params, setParams] = usePageParams(page);
  const text = params.toString();
  const checked = useRef(false);
  useEffect(() => {
    if (!checked.current) {
      checked.current = true;
      const restore = paramsToRestore(memory, page, params);
      if (restore) {
        navigate(page, Object.fromEntries(restore.entries()), { replace: true, keepEmpty: true });
        return;
      }
    }
    rememberParams(memory, page, new URLSearchParams(text));
    // `params` is read once, on the first run; `text` stands for it afterwards.
  }, [page, text, memory]);
  return [params, setParams];
}
