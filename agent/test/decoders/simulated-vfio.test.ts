/**
 * The harness's simulated VFIO lines (testbed `vfioFailureLine`, `resetFailureLines`), which the real
 * libvirt captures and tests append to a real destination log, are read by the decoders as the QEMU
 * version they claim to be, bare as libvirt's `cont` leaves them.
 */
import { describe, expect, it } from 'vitest';
import { resetFailureLines, vfioFailureLine, VFIO_LINE_FORMS } from '@switchover/testbed';
import { decode } from '../../src/decoders/index.js';
import { logLine } from './helpers.js';

const failures = (text: string) =>
  decode(logLine(text)).observations.filter((o) => o.kind === 'vfio-failure');

describe('simulated VFIO lines', () => {
  const FORM = { '7.2': 'v1-7.2', '8.0': 'err-8.0', '9.1': 'errno-9.1' } as const;

  it.each(VFIO_LINE_FORMS.map((f) => [f] as const))('the %s wording decodes as that version', (form) => {
    const [obs] = failures(vfioFailureLine({ form, device: '0000:3b:00.1', error: 'Invalid argument' }));
    expect(obs).toMatchObject({
      kind: 'vfio-failure',
      device: '0000:3b:00.1',
      form: FORM[form],
      fatal: false,
    });
    if (form !== '7.2') expect(obs).toMatchObject({ target: 'RUNNING', error: 'Invalid argument' });
  });

  it("a failed reset's hardware error is fatal, with the set-state line before it only in 8.0-9.0", () => {
    for (const form of ['8.0', '9.1'] as const) {
      const seen = resetFailureLines({ form, device: '0000:3b:00.1' }).flatMap(failures);
      expect(seen.map((o) => (o.kind === 'vfio-failure' ? [o.form, o.fatal] : null))).toEqual([
        ...(form === '8.0' ? [['err-8.0', false]] : []),
        ['reset-failed', true],
      ]);
    }
  });
});
