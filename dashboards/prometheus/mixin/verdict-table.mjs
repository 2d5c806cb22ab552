/**
 * The verdict of a migration from the state of its two sides, as PromQL selectors: generated from
 * the model's own `verdictOf()`, so Prometheus and `pairSessions()` cannot disagree. A side's state
 * is its side outcome once it ended, `open` while it runs, or empty when no agent reported it.
 */
import { createSession, ROLES, SIDE_OUTCOMES, VERDICTS, verdictOf } from '@switchover/model';

export const OPEN = 'open';
/** The states a side can have in the fleet rules; '' is "no agent reported this side". */
export const SIDE_STATES = [...SIDE_OUTCOMES, OPEN, ''];

function sideSession(role, state) {
  if (state === '') return null;
  const s = createSession({ host: role, vm: 'vm', role, start: 0 });
  s.closed = state !== OPEN;
  s.outcome = state === OPEN ? 'in-progress' : state;
  if (s.closed) s.end = 1;
  return s;
}

/** verdict -> list of { source: [states], destination: [states] }, every (source, destination) pair once. */
export function verdictTable() {
  const table = new Map(VERDICTS.map((v) => [v, new Map()]));
  for (const src of SIDE_STATES) {
    const bySrc = new Map();
    for (const dst of SIDE_STATES) {
      if (src === '' && dst === '') continue;
      const v = verdictOf(sideSession(ROLES[0], src), sideSession(ROLES[1], dst));
      if (!bySrc.has(v)) bySrc.set(v, []);
      bySrc.get(v).push(dst);
    }
    // Group source states that lead to a verdict through the same destination states.
    for (const [v, dsts] of bySrc) {
      const key = dsts.join('|');
      const groups = table.get(v);
      if (!groups.has(key)) groups.set(key, { source: [], destination: dsts });
      groups.get(key).source.push(src);
    }
  }
  return new Map([...table].map(([v, groups]) => [v, [...groups.values()]]));
}

/** States are the model's lower-case words: nothing a regex or a PromQL string would read specially. */
const alternatives = (states) => {
  for (const s of states) if (!/^[a-z-]*$/.test(s)) throw new Error(`side state "${s}" needs escaping`);
  return states.join('|');
};

/** A label matcher for a set of states: `=~"a|b"` (an empty alternative also matches a missing label). */
export const stateMatcher = (label, states) =>
  states.length === 1 ? `${label}="${states[0]}"` : `${label}=~"${alternatives(states)}"`;
