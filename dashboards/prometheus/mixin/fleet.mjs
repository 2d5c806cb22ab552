/**
 * Fleet rules: pair each VM's source and destination sides from the agents' per-VM series and give
 * its latest migration one verdict, from Prometheus alone.
 *
 * Every agent exports, per VM it migrated recently, the start of its latest session by role and the
 * end of its latest ended session (with side outcome and single-side verdict). The rules take, per VM
 * and role, the latest session fleet-wide and join the two roles on `vm`. Every join is between
 * vectors that hold at most one series per VM, so no VM's history (back-to-back migrations, an
 * agent's duplicate series) can make a join many-to-many and fail the rule for the whole fleet:
 * - sides whose series vanished (agent restarting, a failed scrape) still count for `pairingMemory`;
 * - source and destination are one migration when their time ranges overlap within the clock-skew
 *   allowance and they are on different hosts;
 * - otherwise the newer side alone is the VM's latest migration (a source that completed with no
 *   destination reported anywhere is `unverified`: QemuMigrationDestinationUnverified).
 */
import { LABELS, METRICS, VERDICTS } from '@switchover/model';
import { destinationUnverified } from './fleet-alert.mjs';
import { FLEET } from './fleet-names.mjs';
import { OPEN, stateMatcher, verdictTable } from './verdict-table.mjs';

export { FLEET };

const LOST = 'destination-lost';
if (!VERDICTS.includes(LOST)) throw new Error(`the model has no verdict ${LOST}`);

/**
 * One group: rules of a group run in order at one evaluation time, so the alert always reads this
 * evaluation's pairing (across groups the order is unspecified and the alert could lag a cycle).
 */
export function fleetGroup(c) {
  const { vm, role, outcome, verdict, sourceInstance, destinationInstance } = LABELS;
  const k = c.pairingSkewSeconds;
  const S = (r) => `${FLEET.start}{${role}="${r}"}`;
  const E = (r) => `${FLEET.end}{${role}="${r}"}`;
  const labelOf = (r, what) => LABELS[`${r}${what}`];
  const rename = (expr, to, from) => `label_replace(${expr}, "${to}", "$1", "${from}", "(.*)")`;
  const set = (expr, to, value) => `label_replace(${expr}, "${to}", "${value}", "", "")`;

  // One series per VM for a role: its state label (outcome, or open), its host and its verdict;
  // the value is the session's start. (`group_left ()` on one-to-one joins: without it `on (…)`
  // would keep only the listed labels.)
  const side = (r) => {
    const [inst, state, v] = ['Instance', 'State', 'Verdict'].map((w) => labelOf(r, w));
    const ended = rename(
      rename(rename(`(${E(r)} * 0 + on (${vm}, ${role}) group_left () ${S(r)})`, state, outcome), v, verdict),
      inst,
      'instance',
    );
    const open = rename(set(`(${S(r)} unless on (${vm}, ${role}) ${E(r)})`, state, OPEN), inst, 'instance');
    return `max by (${vm}, ${inst}, ${state}, ${v}) (\n  ${ended}\n  or\n  ${open}\n)`;
  };
  const [src, dst] = ['source', 'destination'];
  // Both sides' time ranges overlap (an open side has no end yet), on different hosts.
  const paired = [
    `(${S(src)} unless on (${vm}, instance) ${S(dst)})`,
    `and on (${vm}) ((${S(src)} <= on (${vm}) (${E(dst)} + ${k})) or on (${vm}) (${S(dst)} unless on (${vm}) ${E(dst)}))`,
    `and on (${vm}) ((${S(dst)} <= on (${vm}) (${E(src)} + ${k})) or on (${vm}) (${S(src)} unless on (${vm}) ${E(src)}))`,
  ].join('\n');
  const dstNewer = `(${S(dst)} > on (${vm}) (${E(src)} + ${k}))`;
  const dstLabels = ['Instance', 'State', 'Verdict'].map((w) => labelOf(dst, w)).join(', ');

  const pair = [
    `(`,
    `  ${FLEET.source}`,
    `  and on (${vm}) (\n${paired}\n  )`,
    `)`,
    `+ on (${vm}) group_left (${dstLabels}) (0 * ${FLEET.destination})`,
    `or on (${vm})`,
    `(${FLEET.source} unless on (${vm}) ${dstNewer})`,
    `or on (${vm})`,
    FLEET.destination,
  ].join('\n');

  // Destination lost outranks everything (from either side's verdict: the model may decide it on one
  // side alone); then the model's table. `or ignoring (verdict)`: the first branch that matches wins.
  const branch = (v, selector) => set(`${FLEET.pair}{${selector}}`, verdict, v);
  const branches = [
    set(
      `(${FLEET.pair}{${labelOf(dst, 'Verdict')}="${LOST}"} or ${FLEET.pair}{${labelOf(src, 'Verdict')}="${LOST}"})`,
      verdict,
      LOST,
    ),
  ];
  for (const [v, groups] of verdictTable())
    for (const g of groups)
      branches.push(
        branch(
          v,
          `${stateMatcher(labelOf(src, 'State'), g.source)}, ${stateMatcher(labelOf(dst, 'State'), g.destination)}`,
        ),
      );
  const verdictExpr = `max by (${vm}, ${verdict}, ${sourceInstance}, ${destinationInstance}) (\n  ${branches.join(`\n  or ignoring (${verdict})\n  `)}\n)`;

  return {
    name: 'switchover-fleet',
    rules: [
      {
        record: FLEET.start,
        expr: `topk by (${vm}, ${role}) (1, last_over_time(${METRICS.vmSessionStart}{${c.agentSelector}}[${c.pairingMemory}]))`,
      },
      {
        record: FLEET.end,
        expr: [
          `topk by (instance, job, ${vm}, ${role}) (1, last_over_time(${METRICS.vmSessionEnd}{${c.agentSelector}}[${c.pairingMemory}]))`,
          `>= on (instance, job, ${vm}, ${role}) group_left ()`,
          FLEET.start,
        ].join('\n'),
      },
      { record: FLEET.source, expr: side(src) },
      { record: FLEET.destination, expr: side(dst) },
      { record: FLEET.pair, expr: pair },
      { record: FLEET.verdict, expr: verdictExpr },
      { record: FLEET.verdictCount, expr: `count by (${verdict}) (${FLEET.verdict})` },
      destinationUnverified(c),
    ],
  };
}
