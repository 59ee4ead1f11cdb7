/**
 * Light and dark themes. The choice ('system', 'light', 'dark') is kept in the app database
 * (app.uiSettings) and mirrored in localStorage so the first paint already has the right colours;
 * 'system' follows prefers-color-scheme, live. The resolved theme is `data-theme` on <html>, which
 * styles.css maps to its colour variables.
 */
import { useEffect, useState } from 'react';
import type { ThemeChoice } from '../../preload/api';

const STORAGE_KEY = 'sae-workbench.theme';
const darkQuery = () => window.matchMedia('(prefers-color-scheme: dark)');
/** Fired on window whenever the resolved theme changes, so charts redraw with the new colours. */
export const THEME_EVENT = 'sae-workbench-theme';

export function resolveTheme(choice: ThemeChoice, systemPrefersDark: boolean): 'light' | 'dark' {
  return choice === 'system' ? (systemPrefersDark ? 'dark' : 'light') : choice;
}

export function storedThemeChoice(): ThemeChoice {
  const v = localStorage.getItem(STORAGE_KEY);
  return v === 'light' || v === 'dark' || v === 'system' ? v : 'system';
}

export function applyTheme(choice: ThemeChoice): void {
  localStorage.setItem(STORAGE_KEY, choice);
  const root = document.documentElement;
  root.dataset.themeChoice = choice;
  const resolved = resolveTheme(choice, darkQuery().matches);
  if (root.dataset.theme !== resolved) {
    root.dataset.theme = resolved;
    window.dispatchEvent(new Event(THEME_EVENT));
  }
}

/** Call once at startup: the stored choice now, and follow the system while the choice is 'system'. */
export function initTheme(): void {
  applyTheme(storedThemeChoice());
  darkQuery().addEventListener('change', () => applyTheme(storedThemeChoice()));
}

/** The resolved theme, re-rendering when it changes (for components that draw with theme colours). */
export function useResolvedTheme(): 'light' | 'dark' {
  const [theme, setTheme] = useState<'light' | 'dark'>(() => (document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light'));
  useEffect(() => {
    const on = () => setTheme(document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light');
    window.addEventListener(THEME_EVENT, on);
    return () => window.removeEventListener(THEME_EVENT, on);
  }, []);
  return theme;
}
