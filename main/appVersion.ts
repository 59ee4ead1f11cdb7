import { createRequire } from 'node:module';

/** This app's version (package.json): `sae-workbench --version`, and what a cluster's remote command must equal. */
export const APP_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
