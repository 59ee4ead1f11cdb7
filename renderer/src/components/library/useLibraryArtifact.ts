import { useEffect, useState } from 'react';
import type { LibraryArtifact } from '../../../../preload/api';
import { useClient } from '../../client/context';

/** A Library result file, read and parsed by the core (library.readArtifact), reread when the item changes. */
export function useLibraryArtifact(itemId: string): { artifact: LibraryArtifact | null; error: unknown } {
  const client = useClient();
  const [artifact, setArtifact] = useState<LibraryArtifact | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setArtifact(null);
    setError(null);
    client.call('library.readArtifact', { id: itemId }).then(setArtifact, setError);
  }, [client, itemId]);
  return { artifact, error };
}
