import type { HubSettings } from '../../../../preload/api';

/** Whether a typed endpoint is plain http, where sending the token needs the user's confirmation. */
export function isPlainHttp(endpoint: string): boolean {
  return /^http:\/\//i.test(endpoint.trim());
}

/**
 * The hub.settings request of the endpoint form's Save: the endpoint, and the confirmation for
 * exactly that URL when it is http and the box is ticked (otherwise any earlier one is withdrawn).
 */
export function endpointSavePatch(endpoint: string, sendTokenConfirmed: boolean): { endpoint: string; tokenEndpointConfirmed: string | null } {
  const url = endpoint.trim();
  return { endpoint: url, tokenEndpointConfirmed: isPlainHttp(url) && sendTokenConfirmed ? url : null };
}

/** One line under the endpoint: whether the token goes there, and why. */
export function tokenDeliveryNote(hub: Pick<HubSettings, 'tokenDelivery' | 'tokenSource'>): string {
  const has = hub.tokenSource !== null;
  switch (hub.tokenDelivery) {
    case 'https':
      return has ? 'Your token is sent to this endpoint over https (encrypted).' : 'https: a token, once set, is sent encrypted.';
    case 'env':
      return 'HF_ENDPOINT is plain http: a token is sent to it unencrypted, as set in the environment.';
    case 'confirmed':
      return 'Plain http, confirmed by you: your token is sent to this endpoint unencrypted.';
    case 'withheld':
      return 'Plain http, not confirmed: your token is not sent to this endpoint (public repos still work).';
  }
}
