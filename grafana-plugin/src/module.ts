import { PanelPlugin } from '@grafana/data';
import { MigrationTimelinePanel } from './components/MigrationTimelinePanel';
import { addOptions } from './options';
import type { TimelineOptions } from './types';

export const plugin = new PanelPlugin<TimelineOptions>(MigrationTimelinePanel).setPanelOptions(addOptions);
