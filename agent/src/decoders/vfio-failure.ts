import { isVfioState, type VfioFailureForm, type VfioState } from '@switchover/model';
import type { Body } from './common.js';

type Failure = Extract<Body, { kind: 'vfio-failure' }>;

// Fixed texts searched with indexOf: the device name before them is read by scanning back to a
// space, never with an unanchored `(\S+):` regex, which is quadratic on long lines without spaces.
const SET = ': Failed setting device state to ';
const RECOVER = ': Failed setting device in recover state, err: ';
const V1_STATE = ': Failed to set device state 0x';
const V1_NAMED = ': Failed to set state ';
const RESET = ': Failed resetting device, err: ';
const ERROR_STATE = ': Device in error state 0x';

// Anchored at the target state, so each is linear in the line length.
const ERRNO_91 = /^([A-Z][A-Z_0-9]*)\. Recover state is ERROR\. Resetting device: (.*)$/;
const ERRNO_91_RECOVER = /^([A-Z][A-Z_0-9]*)\. Setting device in recover state [A-Z][A-Z_0-9]*: (.*)$/;
const ERR_80 = /^([A-Z][A-Z_0-9]*), err: (.*)\. Recover state is ERROR\. Resetting device$/;
const ERR_80_RECOVER = /^([A-Z][A-Z_0-9]*), err: (.*)\. Setting device in recover state [A-Z][A-Z_0-9]*$/;
const STATE_TOKEN = /^[A-Z][A-Z_0-9]*/;
const HEX_TAIL = /^[0-9a-f]+$/i;

/** The word right before `at` (the VFIO device name: PCI address or QOM id); '' if none. */
function wordBefore(s: string, at: number): string {
  let i = at - 1;
  while (i >= 0 && s.charCodeAt(i) !== 32) i--;
  return s.slice(i + 1, at);
}

function failure(
  device: string,
  form: VfioFailureForm,
  target: string | undefined,
  error: string | undefined,
  fatal = false,
): Failure {
  const f: Failure = { kind: 'vfio-failure', device, form, fatal };
  if (target !== undefined && isVfioState(target)) f.target = target as VfioState;
  if (error !== undefined && error !== '') f.error = error;
  return f;
}

/**
 * Every wording of the VFIO set-state failure, 7.2 through 10.2, wherever it sits in the message
 * (bare, after `prog: `, or inside a chained error). Call only when the message contains `: Failed `
 * or `: Device in error state`; returns null when it is none of them.
 */
export function parseVfioFailure(msg: string): Failure | null {
  let i = msg.indexOf(SET);
  if (i > 0) {
    const device = wordBefore(msg, i);
    if (device === '') return null;
    const rest = msg.slice(i + SET.length);
    let m = ERRNO_91.exec(rest);
    if (m) return failure(device, 'errno-9.1', m[1], m[2]);
    m = ERR_80.exec(rest);
    if (m) return failure(device, 'err-8.0', m[1], m[2]);
    m = ERRNO_91_RECOVER.exec(rest) ?? ERR_80_RECOVER.exec(rest);
    if (m) return failure(device, 'recover-state', m[1], m[2]);
    // An unforeseen tail (truncated line, new wording): the device still failed its transition, and
    // missing that is worse than an imprecise form.
    const target = STATE_TOKEN.exec(rest)?.[0];
    const comma = target !== undefined && rest.charCodeAt(target.length) === 44;
    return failure(device, comma ? 'err-8.0' : 'errno-9.1', target, undefined);
  }
  i = msg.indexOf(RECOVER);
  if (i > 0) {
    const device = wordBefore(msg, i);
    let err = msg.slice(i + RECOVER.length);
    if (err.endsWith('. Resetting device')) err = err.slice(0, -'. Resetting device'.length);
    return device === '' ? null : failure(device, 'recover-state', undefined, err);
  }
  i = msg.indexOf(RESET);
  if (i > 0) {
    const device = wordBefore(msg, i);
    return device === ''
      ? null
      : failure(device, 'reset-failed', undefined, msg.slice(i + RESET.length), true);
  }
  i = msg.indexOf(ERROR_STATE);
  if (i > 0) {
    const device = wordBefore(msg, i);
    return device === '' || !HEX_TAIL.test(msg.slice(i + ERROR_STATE.length).trimEnd())
      ? null
      : failure(device, 'hardware-error', undefined, undefined, true);
  }
  i = msg.indexOf(V1_STATE);
  if (i > 0) {
    const device = wordBefore(msg, i);
    return device === '' ? null : failure(device, 'v1-7.2', undefined, undefined);
  }
  i = msg.indexOf(V1_NAMED);
  if (i > 0) {
    // 7.2: RUNNING, RESUMING, SAVING, `STOP and SAVING`, STOPPED; only the uAPI names become a target.
    const device = wordBefore(msg, i);
    return device === ''
      ? null
      : failure(device, 'v1-7.2', msg.slice(i + V1_NAMED.length).trimEnd(), undefined);
  }
  return null;
}
