/**
 * Property: `review` over any file content a responder could hand it (each kind's real lines, cut and
 * garbled, mixed with noise, on two hosts) either reviews it or refuses it with a ReviewInputError
 * naming the file; it never fails otherwise, and its JSON output is always printable.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toReviewJson } from '../../src/review/render-json.js';
import { renderReview } from '../../src/review/render-text.js';
import { review, ReviewInputError } from '../../src/review/review.js';
import { libvirtHeader } from '../helpers/libvirt-lines.js';
import { logLine, mangled, qmpEvent, runs, T0, virshLine } from './arbitraries.js';

const dir = mkdtempSync(join(tmpdir(), 'sw-review-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const content = fc.oneof(
  fc
    .array(mangled(logLine), { maxLength: 30 })
    .map((l) => [...libvirtHeader({ vm: '__proto__', t0: T0 }), ...l]),
  fc.array(mangled(virshLine), { minLength: 1, maxLength: 30 }),
  fc.array(
    qmpEvent.map((e) => JSON.stringify(e)),
    { minLength: 1, maxLength: 10 },
  ),
  fc.array(fc.string({ unit: 'binary', maxLength: 80 }), { maxLength: 10 }),
);

let n = 0;
describe('review (property)', () => {
  it('reviews or refuses by name, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(content, content, async (a, b) => {
        const fa = join(dir, `a-${n}.log`);
        const fb = join(dir, `b-${n++}.log`);
        writeFileSync(fa, a.join('\n'));
        writeFileSync(fb, b.join('\n'));
        try {
          const r = await review([
            { host: 'src', path: fa },
            { host: 'dst', path: fb },
          ]);
          expect(() => JSON.stringify(toReviewJson(r))).not.toThrow();
          expect(() => renderReview(r, { color: false })).not.toThrow();
        } catch (err) {
          expect(err).toBeInstanceOf(ReviewInputError);
        }
      }),
      runs(300),
    );
  });
});
