import type { PanelOptionsEditorBuilder } from '@grafana/data';
import { VERDICTS } from '@switchover/model';
import { VERDICT_LABELS } from './components/VerdictBadge';
import { DEFAULT_OPTIONS, type TimelineOptions } from './types';

const FILTER = ['Filter'];
const DISPLAY = ['Display'];
const CLOCKS = ['Clocks'];
const LINKS = ['Links'];

/** Every option once: path, sentence-case name, description, default from DEFAULT_OPTIONS, category. */
export function addOptions(
  builder: PanelOptionsEditorBuilder<TimelineOptions>
): PanelOptionsEditorBuilder<TimelineOptions> {
  return builder
    .addSelect({
      path: 'verdictFilter',
      name: 'Verdict',
      description: 'Show all migrations, only problems (silent destination failures and failures), or one verdict.',
      category: FILTER,
      defaultValue: DEFAULT_OPTIONS.verdictFilter,
      settings: {
        options: [
          { value: 'all', label: 'All' },
          { value: 'problems', label: 'Problems only' },
          ...VERDICTS.map((v) => ({ value: v, label: VERDICT_LABELS[v] })),
        ],
      },
    })
    .addTextInput({
      path: 'vmFilter',
      name: 'VM',
      description:
        'Substring of the VM name or UUID (case-insensitive), or a /regular expression/. Empty shows every VM.',
      category: FILTER,
      defaultValue: DEFAULT_OPTIONS.vmFilter,
    })
    .addRadio({
      path: 'alignment',
      name: 'Time alignment',
      description:
        'Absolute: each host’s own clock. Relative to switchover: source STOP and destination RESUME both at 0, which cancels clock skew between the hosts.',
      category: DISPLAY,
      defaultValue: DEFAULT_OPTIONS.alignment,
      settings: {
        options: [
          { value: 'absolute', label: 'Absolute' },
          { value: 'switchover', label: 'Relative to switchover' },
        ],
      },
    })
    .addBooleanSwitch({
      path: 'showDevices',
      name: 'Show devices',
      description:
        'One lane per VFIO device with its state segments; when off, device failures are marked on the side lane.',
      category: DISPLAY,
      defaultValue: DEFAULT_OPTIONS.showDevices,
    })
    .addNumberInput({
      path: 'pairingSkewMs',
      name: 'Pairing clock-skew allowance (ms)',
      description:
        'How far apart the two hosts’ clocks may be when joining a source and a destination session (as `switchover review`).',
      category: CLOCKS,
      defaultValue: DEFAULT_OPTIONS.pairingSkewMs,
      settings: { min: 0, integer: true },
    })
    .addNumberInput({
      path: 'skewNoteMs',
      name: 'Skew note threshold (ms)',
      description: 'Note skewed clocks when the destination starts, or resumes, this much before the source.',
      category: CLOCKS,
      defaultValue: DEFAULT_OPTIONS.skewNoteMs,
      settings: { min: 0, integer: true },
    })
    .addTextInput({
      path: 'tempoUid',
      name: 'Tempo data source UID',
      description: 'Adds a link to each side’s trace in Explore. Empty: no trace links.',
      category: LINKS,
      defaultValue: DEFAULT_OPTIONS.tempoUid,
    })
    .addTextInput({
      path: 'logsUid',
      name: 'Logs data source UID',
      description: 'Adds a logs link (e.g. Loki) per migration over its time range. Empty: no logs link.',
      category: LINKS,
      defaultValue: DEFAULT_OPTIONS.logsUid,
    })
    .addTextInput({
      path: 'logsQuery',
      name: 'Logs query',
      description:
        'Query of the logs link; ${vm}, ${host} (destination) and ${hosts} (source|destination, regex-escaped) are replaced.',
      category: LINKS,
      defaultValue: DEFAULT_OPTIONS.logsQuery,
    });
}
