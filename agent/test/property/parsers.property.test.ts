/**
 * Properties of the parsers raw inputs go through before the decoders: the `journalctl -o json`
 * entry parser (total; reads back what journald encodes: strings, byte arrays, repeated fields,
 * null) and review's file-kind detection (total; recognises each kind a responder copies).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEntry } from '../../src/records/journal-entry.js';
import { detectKind } from '../../src/review/detect.js';
import { logLine, mangled, qmpEvent, runs, T0, virshLine } from './arbitraries.js';
import { libvirtHeader } from '../helpers/libvirt-lines.js';

/** A MESSAGE as journald writes it in JSON: text, bytes (not UTF-8 or with control bytes), repeated, or null. */
const message = fc.oneof(
  fc.string().map((s) => ({ json: s as unknown, text: [s] })),
  fc
    .uint8Array({ maxLength: 40 })
    .map((b) => ({ json: [...b] as unknown, text: [Buffer.from(b).toString('utf8')] })),
  fc
    .array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 })
    .map((a) => ({ json: a as unknown, text: a })),
  fc.constant({ json: null as unknown, text: null }),
);

const lines = (values: string[] | null): string[] | null =>
  values === null
    ? null
    : values.flatMap((v) => {
        const parts = v.split('\n');
        if (parts.length > 1 && parts.at(-1) === '') parts.pop();
        return parts.filter((p) => p !== '');
      });

describe('journal entry parser (property)', () => {
  it('never throws, whatever the line', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ MESSAGE: v, _PID: v, __CURSOR: v })),
        ),
        (line) => {
          const r = parseEntry(line);
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      runs(3000),
    );
  });

  it('reads back the fields journald encodes, in every form', () => {
    fc.assert(
      fc.property(
        message,
        fc.nat(2 ** 31),
        fc.integer({ min: 0, max: 4e15 }),
        fc.string({ minLength: 1 }),
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 5 }),
        (msg, pid, realtimeUs, cursor, noise) => {
          const entry = {
            ...noise,
            __CURSOR: cursor,
            __REALTIME_TIMESTAMP: String(realtimeUs),
            _PID: String(pid),
            MESSAGE: msg.json,
          };
          const r = parseEntry(JSON.stringify(entry));
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(r.entry.lines).toEqual(lines(msg.text));
          expect(r.entry.cursor).toBe(cursor);
          expect(r.entry.pid).toBe(pid);
          expect(r.entry.realtimeMs).toBe(realtimeUs / 1000);
        },
      ),
      runs(2000),
    );
  });
});

/** One file of each kind, as a responder copies it, with a few lines of its own format. */
const fileOf = {
  'libvirt-log': fc
    .array(logLine, { maxLength: 10 })
    .map((l) => [...libvirtHeader({ vm: 'x', t0: T0 }), ...l]),
  'virsh-events': fc.array(virshLine, { minLength: 1, maxLength: 10 }),
  'journald-json': fc
    .array(fc.string(), { minLength: 1, maxLength: 5 })
    .map((msgs) =>
      msgs.map((m, i) =>
        JSON.stringify({ __CURSOR: `s=${i}`, __REALTIME_TIMESTAMP: String(T0 * 1000 + i), MESSAGE: m }),
      ),
    ),
  'qmp-transcript': fc
    .array(qmpEvent, { minLength: 1, maxLength: 5 })
    .map((evs) => evs.map((e) => JSON.stringify(e))),
  recorder: fc.constant(['{"t":"state","at":1,"state":{"vms":{},"pending":[],"seq":0}}']),
} as const;

describe("review's file-kind detection (property)", () => {
  it('never throws on any lines', () => {
    fc.assert(
      fc.property(fc.array(mangled(fc.oneof(logLine, virshLine, fc.json())), { maxLength: 60 }), (ls) => {
        const k = detectKind(ls);
        expect(k === null || typeof k === 'string').toBe(true);
      }),
      runs(2000),
    );
  });

  for (const [kind, arb] of Object.entries(fileOf))
    it(`recognises a ${kind} file`, () => {
      fc.assert(
        fc.property(arb, (ls) => {
          expect(detectKind(ls)).toBe(kind);
        }),
        runs(300),
      );
    });
});
