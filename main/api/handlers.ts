import type { z } from 'zod';
import type { Contract, MethodName, ResultOf } from '../../preload/api';
import type { CoreServices } from './services';

export type Handler<M extends MethodName> = (params: z.output<Contract[M]['params']>, services: CoreServices) => Promise<ResultOf<M>> | ResultOf<M>;
export type HandlerTable<M extends MethodName = MethodName> = { [K in M]: Handler<K> };
