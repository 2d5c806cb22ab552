export { QmpSource, type QmpSourceOptions } from './qmp-source.js';
export {
  QmpClient,
  type ClientIssue,
  type QmpClientOptions,
  type QmpEvent,
  type QmpGreeting,
  type Runstate,
} from './client.js';
export { connectUnixSocket, type ConnectSocket } from './socket.js';
export {
  QmpCommandError,
  QmpConnectError,
  QmpDisconnectedError,
  QmpError,
  QmpForbiddenCommandError,
  QmpProtocolError,
  QmpStateError,
  QmpTimeoutError,
  errorType,
} from './errors.js';
export { isReadOnlyCommand, assertReadOnly } from './allowlist.js';
export { parseGlobs } from './discovery.js';
export { IDENTITY_COMMANDS } from './identify.js';
export { DEFAULT_MAX_LINE_BYTES } from './framing.js';
