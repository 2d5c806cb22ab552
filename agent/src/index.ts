/**
 * `@switchover/agent` as a library, for the demo and the benchmark (which must run the product's own
 * code, not a copy of it). The command line is `bin/switchover.js`.
 */
import { fileURLToPath } from 'node:url';

/** The `switchover` executable script, for harnesses that run the agent as a child process. */
export const agentCli = fileURLToPath(new URL('../bin/switchover.js', import.meta.url));

export { defaultConfig, type AgentConfig } from './config/schema.js';
export { Agent, type AgentDeps } from './daemon/agent.js';
export { createLogger, silentLogger, type Logger } from './log.js';
export { renderMigration } from './review/render-text.js';
export { review, type HostFile, type ReviewResult } from './review/review.js';
export { LineSplitter } from './sources/line-splitter.js';
// Until the ingest module exists (bench/src/replay.ts).
export {
  flush,
  initialState,
  transition,
  DEFAULT_CORRELATOR_CONFIG,
  type CorrelatorState,
  type Effect,
} from './correlator/index.js';
export { decode } from './decoders/index.js';
export { parseEntry } from './sources/journald/entry.js';
export { PidVmCache } from './sources/journald/pid-vm-cache.js';
export type { LogLineRecord } from './sources/types.js';
