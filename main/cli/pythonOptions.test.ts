import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { contract, SteerPanel } from '../../preload/api';
import { jobKinds } from '../jobKinds';
import { commands } from './commands';

/** The Python client's table of keyword arguments (python/sae_workbench/cli_options.json). */
const table = (JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../python/sae_workbench/cli_options.json'), 'utf8')) as { commands: Record<string, { method: string; kind?: string; options: Record<string, [string, string]> }> }).commands;

function fields(schema: z.ZodType): string[] {
  return Object.keys((schema as unknown as { shape: Record<string, unknown> }).shape);
}

describe("the Python client's keyword arguments", () => {
  it.each(Object.entries(table))('%s: every keyword is a CLI option in snake_case and names a field of what the client calls', (name, entry) => {
    const command = commands.find((c) => c.name === name);
    expect(command, `no CLI command ${name}`).toBeDefined();
    expect(Object.keys(contract)).toContain(entry.method);
    const schema = entry.kind ? jobKinds.find(entry.kind).params : contract[entry.method as keyof typeof contract].params;
    for (const [keyword, [field]] of Object.entries(entry.options)) {
      expect(Object.keys(command!.options ?? {}), `${name}(${keyword}=...) has no --${keyword.replace(/_/g, '-')}`).toContain(keyword.replace(/_/g, '-'));
      const [where, key] = field.startsWith('panel.') ? [fields(SteerPanel), field.slice('panel.'.length)] : [fields(schema), field];
      expect(where, `${name}(${keyword}=...) -> ${field}`).toContain(key);
    }
  });
});
