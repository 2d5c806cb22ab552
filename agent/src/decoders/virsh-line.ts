import type { VirshLineRecord } from '../records/types.js';
import type { DecodeResult } from './types.js';
import { IGNORED_RESULT, UNKNOWN_RESULT, finish } from './common.js';
import { parseQmpEvent } from './qmp-event.js';
import { ownOrArrival, parseLibvirtPrefix, parseSecUsec } from './time.js';

/** One `virsh qemu-monitor-event` line, parsed. */
export interface VirshLine {
  event: string;
  domain: string;
  /** `--timestamp`: virsh's receive time; without: QEMU's event time; null for `at -1.000000`. */
  timeMs: number | null;
  /** The event's `data` member; null for `<null>` (events without data such as STOP). */
  data: unknown;
}

/**
 * Parses `[<ts>+0000: ]event NAME [at SEC.USEC ]for domain 'DOM': DATA`. libvirt ≤ 6 prints the
 * domain unquoted. Returns null when the line is not an event line or its data is not JSON.
 */
export function parseVirshLine(text: string): VirshLine | null {
  let i = 0;
  let timeMs: number | null = null;
  const prefixed = text.charCodeAt(0) >= 48 && text.charCodeAt(0) <= 57;
  if (prefixed) {
    const p = parseLibvirtPrefix(text);
    if (!p) return null;
    timeMs = p.time;
    i = p.end;
  }
  if (!text.startsWith('event ', i)) return null;
  i += 6;
  const nameEnd = text.indexOf(' ', i);
  if (nameEnd <= i) return null;
  const event = text.slice(i, nameEnd);
  i = nameEnd + 1;
  if (!prefixed && text.startsWith('at ', i)) {
    const sp = text.indexOf(' ', i + 3);
    if (sp < 0) return null;
    timeMs = parseSecUsec(text.slice(i + 3, sp));
    i = sp + 1;
  }
  if (!text.startsWith('for domain ', i)) return null;
  i += 11;
  let domain: string;
  let dataStart: number;
  if (text.charCodeAt(i) === 39 /* ' */) {
    const close = text.indexOf("': ", i + 1);
    if (close < 0) return null;
    domain = text.slice(i + 1, close);
    dataStart = close + 3;
  } else {
    const colon = text.indexOf(': ', i);
    if (colon < 0) return null;
    domain = text.slice(i, colon);
    dataStart = colon + 2;
  }
  if (domain === '') return null;
  const details = text.slice(dataStart).trimEnd();
  let data: unknown = null;
  if (details !== '<null>') {
    try {
      data = JSON.parse(details);
    } catch {
      return null;
    }
  }
  return { event, domain, timeMs, data };
}

// virsh prints these when `--loop` ends; `virsh event` (not qemu-monitor-event) quotes its event names.
const TRAILERS = ['event loop interrupted', 'event loop timed out', 'events received: '];

/** One of the lines virsh prints when its event loop ends (Ctrl-C, `--timeout`). */
export const isVirshTrailer = (text: string): boolean => TRAILERS.some((t) => text.startsWith(t));

/** A virsh relay line: the same observations as the QMP event it forwards; the domain is the VM. */
export function decodeVirshLine(r: VirshLineRecord): DecodeResult {
  const text = r.text;
  if (text.length === 0 || text.trim() === '') return IGNORED_RESULT;
  if (text.length > 1 << 20) return UNKNOWN_RESULT;
  if (isVirshTrailer(text)) return IGNORED_RESULT;
  const v = parseVirshLine(text);
  if (!v) {
    const body =
      text.charCodeAt(0) >= 48 && text.charCodeAt(0) <= 57 ? (parseLibvirtPrefix(text)?.end ?? 0) : 0;
    return text.startsWith("event '", body) ? IGNORED_RESULT : UNKNOWN_RESULT;
  }
  const parsed = parseQmpEvent(v.event, v.data, v.timeMs);
  if (parsed.status === 'decoded') {
    parsed.vm = r.vm && r.vm.name === v.domain ? r.vm : { name: v.domain };
  }
  return finish(parsed, { host: r.host, vm: r.vm, origin: r.origin, raw: text }, ownOrArrival(r.arrival));
}
