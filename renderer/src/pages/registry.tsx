import type { ReactElement } from 'react';
import { QueuePage } from './QueuePage';
import { LibraryPage } from './LibraryPage';
import { PromptPage } from './PromptPage';
import { FeaturesPage } from './FeaturesPage';
import { ComparePage } from './ComparePage';
import { ExperimentsPage } from './ExperimentsPage';
import { SettingsPage } from './SettingsPage';
import { TrainingPage } from './TrainingPage';

export interface PageEntry {
  id: string;
  label: string;
  render: () => ReactElement;
}

/** The sidebar, in order. Each page owns one file under pages/. */
export const pages: PageEntry[] = [
  { id: 'library', label: 'Library', render: () => <LibraryPage /> },
  { id: 'queue', label: 'Queue', render: () => <QueuePage /> },
  { id: 'prompt', label: 'Prompt', render: () => <PromptPage /> },
  { id: 'training', label: 'Training', render: () => <TrainingPage /> },
  { id: 'features', label: 'Features', render: () => <FeaturesPage /> },
  { id: 'compare', label: 'Compare', render: () => <ComparePage /> },
  { id: 'experiments', label: 'Experiments', render: () => <ExperimentsPage /> },
  { id: 'settings', label: 'Settings', render: () => <SettingsPage /> },
];
