import type { LogLineRecord } from '../records/types.js';
import type { DecodeResult } from './types.js';
import { IGNORED, IGNORED_RESULT, UNKNOWN_RESULT, finish, type Parsed } from './common.js';
import { parseMessage } from './error-report.js';
import { parseCommandLine, parseLibvirtLine } from './libvirt-line.js';
import { parseIsoPrefix, parseLibvirtPrefix, parseTidPrefix, untimedStamp, type Stamp } from './time.js';
import { parseTrace } from './trace.js';
import { KNOWN_TRACE_NAMES } from './trace-names.js';

/** Longer lines are no QEMU line we know (command-line `-object` JSON is the longest, < 4 KiB). */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * One line of QEMU's stderr as found in a libvirt domain log or a journald MESSAGE. The forms, told
 * apart by their first characters:
 * - `tid@sec.usec:name args` (trace ≤10.0), `<ISO>Z name args` (trace 10.1+),
 *   `<ISO>Z prog: msg` (error_report), `YYYY-MM-DD HH:MM:SS.mmm+0000: …` (libvirt's own);
 * - untimed: `name args` (trace without `-msg timestamp=on`), `prog: msg`, a bare `msg` (printed
 *   inside a monitor command), and command-line continuation lines ending in ` \`.
 */
export function decodeLogLine(r: LogLineRecord): DecodeResult {
  const text = r.text;
  const n = text.length;
  if (n === 0) return IGNORED_RESULT;
  if (n > MAX_LINE_CHARS) return UNKNOWN_RESULT;
  const parsed = parseLogLine(text, r);
  if (parsed.status === 'ignored') return IGNORED_RESULT; // the common case: no allocation
  const stamp = (own: number | null): Stamp =>
    own === null ? untimedStamp(r) : { time: own, timeSource: 'event' };
  return finish(parsed, { host: r.host, vm: r.vm, origin: r.origin, raw: text }, stamp);
}

function parseLogLine(text: string, r: LogLineRecord): Parsed {
  const n = text.length;
  if (text.charCodeAt(n - 1) === 92 /* \ */ && text.charCodeAt(n - 2) === 32)
    return parseCommandLine(text, r.vm);
  const c0 = text.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) {
    const tid = parseTidPrefix(text);
    if (tid) {
      const sp = text.indexOf(' ', tid.end);
      const name = text.slice(tid.end, sp < 0 ? n : sp);
      return parseTrace(name, sp < 0 ? '' : text.slice(sp + 1), tid.time);
    }
    const iso = parseIsoPrefix(text);
    if (iso) return parseBody(text, iso.end, iso.time, r.qemuProgram);
    const lv = parseLibvirtPrefix(text);
    if (lv) return parseLibvirtLine(text.slice(lv.end), lv.time);
  }
  return parseBody(text, 0, null, r.qemuProgram);
}

/**
 * Where the message of a log line begins: past any timestamp (trace, ISO, libvirt) and any QEMU
 * `prog: ` prefix. 0 when the line has neither (a bare line, e.g. the VFIO line printed during `cont`).
 */
export function messageStart(text: string, program?: string): number {
  const start = (parseTidPrefix(text) ?? parseIsoPrefix(text) ?? parseLibvirtPrefix(text))?.end ?? 0;
  const sp = text.indexOf(' ', start);
  return sp > start &&
    text.charCodeAt(sp - 1) === 58 /* : */ &&
    (isQemuProg(text, start, sp - 1) || isProgram(text, start, sp - 1, program))
    ? sp + 1
    : start;
}

/** After any timestamp: a trace event, or an error_report message with or without `prog: `. */
function parseBody(text: string, start: number, time: number | null, program?: string): Parsed {
  const n = text.length;
  if (start >= n) return IGNORED;
  const sp = text.indexOf(' ', start);
  const wordEnd = sp < 0 ? n : sp;
  const c = text.charCodeAt(start);
  if (c >= 97 && c <= 122 && isTraceWord(text, start, wordEnd)) {
    const name = text.slice(start, wordEnd);
    // Without a timestamp only known names count, so ordinary text is not read as a trace. With
    // one (10.1+ `<ISO>Z name args`) any snake_case word does: error lines there carry `prog:`.
    if (KNOWN_TRACE_NAMES.has(name) || (time !== null && name.includes('_'))) {
      return parseTrace(name, sp < 0 ? '' : text.slice(sp + 1), time);
    }
  }
  const prog =
    sp > start &&
    text.charCodeAt(wordEnd - 1) === 58 /* : */ &&
    (isQemuProg(text, start, wordEnd - 1) || isProgram(text, start, wordEnd - 1, program));
  return parseMessage(prog ? text.slice(sp + 1) : start === 0 ? text : text.slice(start), time, prog);
}

function isTraceWord(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95)) return false;
  }
  return true;
}

/**
 * The program name the source says this QEMU runs as (Proxmox VE's `/usr/bin/kvm` prints `kvm: …`).
 * Only with that word from the source: the kernel's kvm module prints `kvm: …` lines too.
 */
function isProgram(s: string, from: number, to: number, program: string | undefined): boolean {
  return program !== undefined && to - from === program.length && s.startsWith(program, from);
}

/** `qemu`, `qemu-kvm`, `qemu-system-x86_64`, …: basename of argv[0] as error_report prints it. */
function isQemuProg(s: string, from: number, to: number): boolean {
  if (to - from < 4 || !s.startsWith('qemu', from)) return false;
  for (let i = from + 4; i < to; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 57) ||
      c === 95 ||
      c === 45 ||
      c === 46 ||
      c === 43;
    if (!ok) return false;
  }
  return true;
}
