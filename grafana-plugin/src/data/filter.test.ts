import { pairSessions } from '@switchover/model';
import { filterMigrations } from './filter';
import { migrationPair } from '../../tests/fixtures/sessions';

const T0 = Date.UTC(2025, 0, 1, 10);
const ms = pairSessions([
  ...migrationPair({ vm: 'web-1', t0: T0, kind: 'silent' }),
  ...migrationPair({ vm: 'db-1', t0: T0, kind: 'failed' }),
  ...migrationPair({ vm: 'web-2', t0: T0, kind: 'healthy' }),
]);
const vms = (v: Parameters<typeof filterMigrations>[1]) => filterMigrations(ms, v).map((m) => m.vm);

describe('filterMigrations', () => {
  it('filters by verdict', () => {
    expect(vms({ verdictFilter: 'all', vmFilter: '' })).toEqual(['web-1', 'db-1', 'web-2']);
    expect(vms({ verdictFilter: 'problems', vmFilter: '' })).toEqual(['web-1', 'db-1']);
    expect(vms({ verdictFilter: 'succeeded', vmFilter: '' })).toEqual(['web-2']);
  });
  it('filters by VM substring, /regex/ and UUID; a broken regex falls back to a substring', () => {
    expect(vms({ verdictFilter: 'all', vmFilter: 'WEB' })).toEqual(['web-1', 'web-2']);
    expect(vms({ verdictFilter: 'all', vmFilter: '/^db-\\d$/' })).toEqual(['db-1']);
    expect(vms({ verdictFilter: 'all', vmFilter: ms[1]!.vmUuid! })).toEqual(['db-1']);
    expect(vms({ verdictFilter: 'all', vmFilter: '/web-(/' })).toEqual([]);
  });
});
