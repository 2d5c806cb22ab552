import { AFTER_SWITCHOVER_SCENARIOS } from './after-switchover.js';
import { FAILURE_SCENARIOS } from './failures.js';
import { HEALTHY_SCENARIOS } from './healthy.js';
import { SAVE_RESTORE } from './save-restore.js';
import type { Scenario } from './types.js';

/** Every scenario of issue 8 §1, in the order the capture runs them. */
export const LIBVIRT_SCENARIOS: readonly Scenario[] = [
  ...HEALTHY_SCENARIOS,
  ...FAILURE_SCENARIOS,
  SAVE_RESTORE,
  ...AFTER_SWITCHOVER_SCENARIOS,
];

export { logFileName, MissedWindow, runScenario, type RunOptions, type ScenarioRun } from './run.js';
export { normaliseEventLine, shapeProblems } from './shape.js';
export type {
  ExpectedMigration,
  HostKey,
  NotAMigration,
  Scenario,
  ScenarioContext,
  ScenarioExpectation,
  Shape,
  SimulatedLines,
} from './types.js';
