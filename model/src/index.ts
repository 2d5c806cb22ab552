export * from './verdict.js';
export * from './qemu.js';
export * from './observation.js';
export * from './session.js';
export * from './pair.js';
export * from './telemetry.js';
export * from './errors.js';
export * from './table.js';
