/**
 * THE contract between the renderer and the core. Every front door (Electron IPC, browser-mode
 * WebSocket, tests) speaks exactly this: a method name, params validated with the zod schema on
 * the core side, a typed result, and typed events pushed from the core.
 *
 * Each domain keeps its part in preload/contract/<domain>.ts; this file joins them.
 */
import type { z } from 'zod';
import type { ApiError, MethodSpec } from './contract/define';
import { appContract, type AppEvents } from './contract/app';
import { jobsContract, type JobsEvents } from './contract/jobs';
import { libraryContract, type LibraryEvents } from './contract/library';
import { hubContract, type HubEvents } from './contract/hub';
import { promptContract } from './contract/prompt';
import { engineContract } from './contract/engine';
import { featureIndexContract } from './contract/featureIndex';
import { compareContract } from './contract/compare';
import { experimentsContract } from './contract/experiments';
import { trainContract } from './contract/train';
import { crosscoderContract } from './contract/crosscoder';
import { labelsContract } from './contract/labels';
import { notebookContract } from './contract/notebook';

export * from './contract/define';
export * from './contract/app';
export * from './contract/jobs';
export * from './contract/library';
export * from './contract/hub';
export * from './contract/prompt';
export * from './contract/engine';
export * from './contract/featureIndex';
export * from './contract/compare';
export * from './contract/identity';
export * from './contract/ids';
export * from './contract/units';
export * from './contract/experiments';
export * from './contract/train';
export * from './contract/crosscoder';
export * from './contract/labels';
export * from './contract/tensors';
export * from './contract/notebook';

export const contract = {
  ...appContract,
  ...jobsContract,
  ...libraryContract,
  ...hubContract,
  ...promptContract,
  ...engineContract,
  ...featureIndexContract,
  ...compareContract,
  ...experimentsContract,
  ...trainContract,
  ...crosscoderContract,
  ...labelsContract,
  ...notebookContract,
};

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type ParamsOf<M extends MethodName> = z.input<Contract[M]['params']>;
export type ResultOf<M extends MethodName> = Contract[M] extends MethodSpec<z.ZodType, infer R> ? R : never;

export type ApiEvents = AppEvents & JobsEvents & LibraryEvents & HubEvents;
export type EventName = keyof ApiEvents;

/**
 * Wire format shared by the WebSocket and IPC transports. `attachments`: on the WebSocket only,
 * the number of tensors that follow a message in binary frames (contract/tensors.ts).
 */
export type WireRequest = { id: number; method: string; params: unknown; attachments?: number };
export type WireResult = { ok: true; result: unknown } | { ok: false; error: ApiError };
export type WireResponse = WireResult & { id: number; attachments?: number };
export type WireEvent = { event: string; payload: unknown };

/** The one interface the renderer (and tests) use to talk to the core. */
export interface ApiClient {
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(contract, name);
}
