// Prints the app's "Copy as Python" snippet for a view (renderer/src/components/python/pythonSnippet.ts),
// so the Python tests can run it against a real core: argv[2] is {"view": ..., ...} as JSON.
import { experimentStatements, featuresStatements, pythonSnippet } from '../../renderer/src/components/python/pythonSnippet.ts';

const v = JSON.parse(process.argv[2]);
const core = { home: v.home, frontDoor: 'browser' };
const statements = v.view === 'features' ? featuresStatements(v.index, v.feature) : experimentStatements(v.jobId, v.kind, v.params);
process.stdout.write(pythonSnippet(statements, core));
