import type { Attributes, HrTime } from '@opentelemetry/api';
import { ATTRS, failedDevices, verdictOf, type DeviceFailure, type Session } from '@switchover/model';

/**
 * Epoch milliseconds as an OpenTelemetry HrTime. Never pass a plain number: the SDK reads numbers
 * smaller than its own start time as performance.now() offsets, so a session restored from the
 * recorder (or replayed from an old log) would land decades off.
 */
export function hr(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.min(999_999_999, Math.max(0, Math.round((ms - seconds * 1000) * 1e6)));
  return [seconds, nanos];
}

/** What every span of a session carries: Tempo search results have no parent ids, so children need these. */
export function sessionKeys(s: Session): Attributes {
  return {
    [ATTRS.migrationId]: s.id,
    [ATTRS.vmName]: s.vm,
    [ATTRS.role]: s.role,
    [ATTRS.hostName]: s.host,
  };
}

/** The root span's attributes as of this version of the session (set again on every update). */
export function rootAttributes(s: Session): Attributes {
  const a: Attributes = {
    ...sessionKeys(s),
    [ATTRS.outcome]: s.outcome,
    // This host's view alone: a destination with a device failure already says silent-destination-failure.
    [ATTRS.verdict]: verdictOf(s.role === 'source' ? s : null, s.role === 'destination' ? s : null),
  };
  if (s.vmUuid !== null) a[ATTRS.vmUuid] = s.vmUuid;
  if (s.qemuVersion !== null) a[ATTRS.qemuVersion] = s.qemuVersion;
  const failed = failedDevices(s);
  if (failed.length > 0) a[ATTRS.failedDevices] = failed;
  if (s.downtimeMs !== null) a[ATTRS.downtimeMs] = s.downtimeMs;
  if (s.totalTimeMs !== null) a[ATTRS.totalTimeMs] = s.totalTimeMs;
  if (s.returnPath.shut !== null) a[ATTRS.returnPathShut] = s.returnPath.shut;
  if (s.returnPath.error !== null) a[ATTRS.returnPathError] = s.returnPath.error;
  if (s.stopTime !== null) a[ATTRS.stopTimeMs] = s.stopTime;
  if (s.resumeTime !== null) a[ATTRS.resumeTimeMs] = s.resumeTime;
  return a;
}

export function failureMessage(f: DeviceFailure): string {
  const what = f.target ? `transition to ${f.target}` : 'state transition';
  return `VFIO device ${f.device} failed ${what}${f.error ? `: ${f.error}` : ''}`;
}

/** Attributes of the VFIO failure: on the root's event and on the device span of the segment it starts. */
export function failureAttributes(f: DeviceFailure, raw: string | undefined): Attributes {
  const a: Attributes = {
    [ATTRS.device]: f.device,
    [ATTRS.rawLine]: f.raw || raw || '',
    [ATTRS.errorMessage]: failureMessage(f),
    [ATTRS.fatal]: f.fatal,
  };
  if (f.target) a[ATTRS.targetState] = f.target;
  return a;
}
