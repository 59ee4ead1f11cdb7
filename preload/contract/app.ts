import { z } from 'zod';
import { method } from './define';

export interface AppInfo {
  version: string;
  home: string;
  frontDoor: 'electron' | 'browser' | 'cli' | 'test';
  node: string;
  platform: string;
}

export const appContract = {
  'app.info': method<AppInfo>()(z.object({}).strict()),
};

export interface AppEvents {
  'app.notice': { level: 'info' | 'warn' | 'error'; message: string; hint?: string };
}
