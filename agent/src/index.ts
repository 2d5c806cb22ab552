/**
 * `@switchover/agent` as a library, for the demo and the benchmark (which must run the product's own
 * code, not a copy of it). The command line is `bin/switchover.js`.
 */
import { fileURLToPath } from 'node:url';

/** The `switchover` executable script, for harnesses that run the agent as a child process. */
export const agentCli = fileURLToPath(new URL('../bin/switchover.js', import.meta.url));

export { defaultConfig, type AgentConfig } from './config/schema.js';
export { Agent, type AgentDeps } from './daemon/agent.js';
export { createLogger, silentLogger, type Logger } from './lib/log.js';
export { renderMigration } from './review/render-text.js';
export { review, type HostFile, type ReviewResult } from './review/review.js';
export { LineSplitter } from './sources/line-splitter.js';
export type { Effect } from './correlator/index.js';
export { Ingest, Replay } from './ingest/ingest.js';
export { parseEntry } from './records/journal-entry.js';
export { JournalRecords } from './records/journal-records.js';
export { PidVmCache } from './records/pid-vm-cache.js';
