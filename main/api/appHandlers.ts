import type { ThemeChoice, UiSettings } from '../../preload/api';
import { THEMES } from '../../preload/api';
import type { Db } from '../db/connection';
import type { HandlerTable } from './handlers';

const THEME_KEY = 'ui.theme';

function readUiSettings(db: Db): UiSettings {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(THEME_KEY) as { value: string } | undefined;
  const theme = (THEMES as readonly string[]).includes(row?.value ?? '') ? (row!.value as ThemeChoice) : 'system';
  return { theme };
}

export const appHandlers: HandlerTable<'app.uiSettings'> = {
  'app.uiSettings': ({ theme }, s) => {
    if (theme !== undefined) s.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(THEME_KEY, theme);
    return readUiSettings(s.db);
  },
};
