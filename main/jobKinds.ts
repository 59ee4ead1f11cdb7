/**
 * Every job kind the app knows. This table sits above the features (jobs/ stays generic and
 * imports none of them); the core's scheduler and the worker entry are handed it. Kinds keep
 * their heavy imports inside run() so the core, which only needs their metadata, stays light.
 */
import { compareDiffJob, compareMatchJob } from './compare/compareJobs';
import { crosscoderAnalyseJob } from './compare/crosscoderJobs';
import { demoBundleJob } from './demo/demoJob';
import { experimentJobs } from './experiments/experimentJobs';
import { evalSaeJob } from './evals/evalJob';
import { hubDownloadJob } from './hub/downloadJob';
import { indexBuildJob, indexMergeJob } from './index/indexJob';
import { JobKindTable } from './jobs/registry';
import { libraryScanJob } from './library/scanJob';
import { verifyFilesJob } from './library/verifyFilesJob';
import { setupCudaJob } from './setup/cudaSetupJob';
import { trainSaeJob } from './train/trainJob';
import { trainCrosscoderJob } from './train/crosscoderJob';

export const jobKinds = new JobKindTable([verifyFilesJob, libraryScanJob, hubDownloadJob, demoBundleJob, indexBuildJob, indexMergeJob, compareMatchJob, compareDiffJob, ...experimentJobs, trainSaeJob, trainCrosscoderJob, crosscoderAnalyseJob, evalSaeJob, setupCudaJob]);
