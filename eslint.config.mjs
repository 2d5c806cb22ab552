// Shared flat config for the Node packages. The Grafana plugin keeps its own.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The agent's folders and what each may import: the data flows one way (records → decoders →
 * correlator → ingest → sources/sinks/recorder → daemon/review → cli), and a lower folder never
 * imports a higher one. Sources never import sinks; decoders and the correlator do no I/O.
 */
const AGENT_LAYERS = {
  lib: [],
  records: [],
  config: ['lib'],
  correlator: [],
  decoders: ['records'],
  ingest: ['correlator', 'decoders', 'records'],
  recorder: ['correlator', 'lib'],
  sources: ['records', 'lib'],
  // The HTTP endpoint reports each input's health (`sources/types.ts`) and serves the recorder.
  sinks: ['config', 'correlator', 'recorder', 'lib', 'sources/types.js'],
  review: ['correlator', 'decoders', 'ingest', 'records', 'recorder', 'lib'],
  daemon: ['config', 'correlator', 'decoders', 'ingest', 'records', 'recorder', 'sinks', 'sources', 'lib'],
  cli: ['config', 'correlator', 'daemon', 'review', 'lib'],
};
const FOLDERS = Object.keys(AGENT_LAYERS);

function layerRule(folder) {
  const allowed = AGENT_LAYERS[folder];
  const group = [];
  for (const other of FOLDERS) {
    if (other === folder || allowed.includes(other)) continue;
    const files = allowed.filter((a) => a.startsWith(`${other}/`));
    for (const up of ['..', '../..', '../../..']) {
      group.push(`${up}/${other}/*`);
      for (const f of files) group.push(`!${up}/${f}`);
    }
  }
  return {
    files: [`agent/src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group,
              message: `agent/src/${folder} may import only ${allowed.join(', ') || 'the model'} (see AGENT_LAYERS in eslint.config.mjs)`,
            },
            {
              group: ['@switchover/testbed', '@switchover/demo', '@switchover/bench'],
              message: 'the product never imports its harness',
            },
            { group: ['../../model/*', '../../../model/*'], message: 'import @switchover/model' },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'grafana-plugin/**', '**/.turbo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: ['../../model/*', '../../../model/*'] }],
    },
  },
  ...FOLDERS.map(layerRule),
  {
    // Tests, the demo and the benchmark drive the product from outside; they never import each other.
    files: ['agent/test/**/*.ts', 'testbed/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@switchover/demo', '@switchover/bench', '**/demo/src/*', '**/bench/src/*'],
              message: 'tests and the testbed never import the demo or the benchmark',
            },
          ],
        },
      ],
    },
  },
);
