import { until as untilValue } from '@switchover/testbed';

/** Wait for a condition in a test; throws after `ms`. The demo's `until`, for plain boolean checks. */
export async function until(check: () => boolean, ms = 20_000): Promise<void> {
  await untilValue('a test condition', ms, check, 20);
}
