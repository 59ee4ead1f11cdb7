/**
 * Keyboard shortcuts, one registry for the app: `/` focuses the page's search or input (the
 * element marked `data-shortcut-focus`), `?` opens the sheet listing every shortcut in force,
 * Esc closes the sheet or the page's open panel. Pages add theirs with useShortcuts(group, [...]);
 * they appear in the sheet while the page is shown. Keys typed into a text field stay there
 * (only Esc and modified keys such as Ctrl+Enter reach the registry).
 */
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { DetailList } from './components/DetailList';

export interface Shortcut {
  /** 'ArrowLeft', 'Escape', 'Enter', 'd', '[' or with a modifier: 'Ctrl+Enter'. */
  keys: string;
  description: string;
  run: (e: KeyboardEvent) => void;
  /** Also fire while typing in a text field (default: only Esc and modified keys do). */
  inFields?: boolean;
}

interface Registration {
  id: number;
  group: string;
  shortcuts: Shortcut[];
}

const GLOBAL: { keys: string; description: string }[] = [
  { keys: '/', description: "Focus the page's search or text input" },
  { keys: '?', description: 'Show this sheet' },
  { keys: 'Escape', description: 'Close the open panel or this sheet' },
];

class ShortcutRegistry {
  private nextId = 1;
  registrations: Registration[] = [];
  private listeners = new Set<() => void>();

  register(group: string, shortcuts: Shortcut[]): { id: number; update: (s: Shortcut[]) => void; remove: () => void } {
    const reg: Registration = { id: this.nextId++, group, shortcuts };
    this.registrations = [...this.registrations, reg];
    this.changed();
    return {
      id: reg.id,
      update: (s) => {
        reg.shortcuts = s;
      },
      remove: () => {
        this.registrations = this.registrations.filter((r) => r !== reg);
        this.changed();
      },
    };
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.listeners.forEach((l) => l());
  }
}

const RegistryContext = createContext<ShortcutRegistry | null>(null);

export function matches(spec: string, e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): boolean {
  const parts = spec.split('+');
  const key = parts.pop()!;
  if (parts.includes('Ctrl') !== (e.ctrlKey || e.metaKey)) return false;
  if (parts.includes('Alt') !== e.altKey) return false;
  return e.key === key;
}

function isTextField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select' || el.isContentEditable) return true;
  return tag === 'input' && !['checkbox', 'radio', 'button', 'submit', 'range'].includes((el as HTMLInputElement).type);
}

/** Register shortcuts while the calling component is mounted; the latest `shortcuts` always run. */
export function useShortcuts(group: string, shortcuts: Shortcut[]): void {
  const registry = useContext(RegistryContext);
  const handle = useRef<ReturnType<ShortcutRegistry['register']> | null>(null);
  useEffect(() => {
    if (!registry) return;
    handle.current = registry.register(group, shortcuts);
    return () => handle.current?.remove();
    // Registered once per group; the list is refreshed below on every render.
  }, [registry, group]);
  handle.current?.update(shortcuts);
}

export function displayKeys(spec: string): string {
  const names: Record<string, string> = { ArrowLeft: '←', ArrowRight: '→', ArrowUp: '↑', ArrowDown: '↓', Escape: 'Esc', Enter: 'Enter', Ctrl: 'Ctrl' };
  return spec
    .split('+')
    .map((p) => names[p] ?? p)
    .join('+');
}

export function ShortcutProvider({ children }: { children: ReactNode }) {
  const [registry] = useState(() => new ShortcutRegistry());
  const [sheetOpen, setSheetOpen] = useState(false);
  const [, setVersion] = useState(0);
  useEffect(() => registry.subscribe(() => setVersion((v) => v + 1)), [registry]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      const typing = isTextField(e.target);
      if (e.key === 'Escape' && sheetOpen) {
        e.preventDefault();
        setSheetOpen(false);
        return;
      }
      if (!typing && e.key === '?') {
        e.preventDefault();
        setSheetOpen((o) => !o);
        return;
      }
      if (!typing && e.key === '/' && !e.ctrlKey && !e.metaKey) {
        const target = document.querySelector<HTMLElement>('main [data-shortcut-focus]');
        if (target) {
          e.preventDefault();
          target.focus();
          if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) target.select();
        }
        return;
      }
      if (sheetOpen) return;
      const modified = e.ctrlKey || e.metaKey || e.altKey;
      // Newest registration first: an open panel's shortcuts win over its page's.
      for (const reg of [...registry.registrations].reverse()) {
        for (const s of reg.shortcuts) {
          if (typing && !s.inFields && e.key !== 'Escape' && !modified) continue;
          if (matches(s.keys, e)) {
            e.preventDefault();
            s.run(e);
            return;
          }
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [registry, sheetOpen]);

  return (
    <RegistryContext.Provider value={registry}>
      {children}
      {sheetOpen && <ShortcutSheet registrations={registry.registrations} onClose={() => setSheetOpen(false)} />}
    </RegistryContext.Provider>
  );
}

/**
 * The sheet's sections: "Everywhere", then each group in force that has shortcuts now (a details
 * panel that is closed registers none, and must not leave an empty heading).
 */
export function sheetGroups(registrations: readonly { group: string; shortcuts: readonly { keys: string; description: string }[] }[]): [string, { keys: string; description: string }[]][] {
  const groups = new Map<string, { keys: string; description: string }[]>();
  for (const r of registrations) groups.set(r.group, [...(groups.get(r.group) ?? []), ...r.shortcuts]);
  return [['Everywhere', GLOBAL], ...[...groups.entries()].filter(([, list]) => list.length > 0)];
}

function ShortcutSheet({ registrations, onClose }: { registrations: Registration[]; onClose: () => void }) {
  return (
    <div className="sheet-backdrop" onClick={onClose}>
      <div className="sheet" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onClick={(e) => e.stopPropagation()}>
        <div className="md-head">
          <h2>Keyboard shortcuts</h2>
          <button className="link" onClick={onClose} aria-label="Close shortcuts">
            Close
          </button>
        </div>
        {sheetGroups(registrations).map(([group, list]) => (
          <section key={group} aria-label={group}>
            <h3>{group}</h3>
            <DetailList rows={list.map((s) => [<kbd key={s.keys}>{displayKeys(s.keys)}</kbd>, s.description])} />
          </section>
        ))}
      </div>
    </div>
  );
}
