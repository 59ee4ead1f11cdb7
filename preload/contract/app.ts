import { z } from 'zod';
import { method } from './define';

export interface AppInfo {
  version: string;
  home: string;
  frontDoor: 'electron' | 'browser' | 'cli' | 'test';
  node: string;
  platform: string;
}

export const THEMES = ['system', 'light', 'dark'] as const;
export type ThemeChoice = (typeof THEMES)[number];

/** How the app looks, kept in the app database so every front door (and port) shares it. */
export interface UiSettings {
  /** 'system' follows prefers-color-scheme. */
  theme: ThemeChoice;
}

export const appContract = {
  'app.info': method<AppInfo>()(z.object({}).strict()),
  /** Read the UI settings; pass a field to change it. */
  'app.uiSettings': method<UiSettings>()(z.object({ theme: z.enum(THEMES).optional() }).strict()),
};

export interface AppEvents {
  'app.notice': { level: 'info' | 'warn' | 'error'; message: string; hint?: string };
}
