import { z } from 'zod';

/**
 * The ids the core hands out, one pattern each, and the schema every request that takes one uses.
 * Ids become path components (runs/<job-id>/, index/<index-id>.sqlite), so a request may carry
 * only the exact shape the core generates: "../../secret", "/etc", "a/b" or a NUL never reach a
 * lookup, let alone a path.join. The generators (JobStore.insert, newIndexId, itemId) are tested
 * against these patterns.
 */

/** JobStore.insert: the UTC date and 8 hex digits of a UUID, e.g. 20261205-e8a7b5c3. */
export const JOB_ID_PATTERN = /^\d{8}-[0-9a-f]{8}$/;
/** newIndexId: "ix-" and 10 hex digits, e.g. ix-3fa9c01d2e. */
export const INDEX_ID_PATTERN = /^ix-[0-9a-f]{10}$/;
/** itemId: 16 hex digits of a hash of the item's origin and path. */
export const LIBRARY_ITEM_ID_PATTERN = /^[0-9a-f]{16}$/;

export const JobIdSchema = z.string().regex(JOB_ID_PATTERN, 'not a job id (a job id looks like 20261205-e8a7b5c3, as the Queue shows it)');
export const IndexIdSchema = z.string().regex(INDEX_ID_PATTERN, 'not an index id (an index id looks like ix-3fa9c01d2e, as index.list shows it)');
export const LibraryItemIdSchema = z.string().regex(LIBRARY_ITEM_ID_PATTERN, 'not a Library item id (16 hex digits, as library.list shows it)');
