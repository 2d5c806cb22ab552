/** The one verdict a migration gets once both sides (or the one side seen) are known. */
export const VERDICTS = [
  'succeeded',
  'destination-lost',
  'silent-destination-failure',
  'failed',
  'cancelled',
  'unverified',
  'in-progress',
] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Verdicts that need a human, most severe first; the panel and `review` sort these first. */
export const PROBLEM_VERDICTS: readonly Verdict[] = [
  'destination-lost',
  'silent-destination-failure',
  'failed',
];

export const isProblem = (v: Verdict): boolean => PROBLEM_VERDICTS.includes(v);

/**
 * What one host saw of its side of a migration. `lost` (destination only): the migration completed
 * here, then this QEMU died within the attribution window, so the VM runs nowhere.
 */
export const SIDE_OUTCOMES = [
  'in-progress',
  'completed',
  'completed-with-device-failure',
  'lost',
  'failed',
  'cancelled',
] as const;
export type SideOutcome = (typeof SIDE_OUTCOMES)[number];

export const ROLES = ['source', 'destination'] as const;
export type Role = (typeof ROLES)[number];
