import { useEffect, useState } from 'react';
import type { FeatureDetail } from '../../../../preload/api';
import { useClient } from '../../client/context';

/** One feature's full page from an index; nothing while either is unset. */
export function useFeature(indexId: string | null, feature: number | null): { detail: FeatureDetail | null; error: unknown } {
  const client = useClient();
  const [state, setState] = useState<{ detail: FeatureDetail | null; error: unknown }>({ detail: null, error: null });
  useEffect(() => {
    if (!indexId || feature === null) {
      setState({ detail: null, error: null });
      return;
    }
    let live = true;
    client.call('index.feature', { id: indexId, feature }).then(
      (detail) => live && setState({ detail, error: null }),
      (error) => live && setState({ detail: null, error }),
    );
    return () => {
      live = false;
    };
  }, [client, indexId, feature]);
  return state;
}
