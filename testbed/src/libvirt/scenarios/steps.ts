import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrationStatus, plainEvent } from '../events.js';
import { migrate, type MigrateOptions } from '../migrate.js';
import type { VirshResult } from '../virsh.js';
import type { HostKey, ScenarioContext } from './types.js';

/** Migrate and require success. */
export async function migrateOk(
  ctx: ScenarioContext,
  from: HostKey,
  to: HostKey,
  vm: string,
  o: MigrateOptions,
): Promise<VirshResult> {
  ctx.log(`migrate ${vm} ${ctx.host(from).name} -> ${ctx.host(to).name} (${o.mode})`);
  const r = await migrate(ctx.host(from), ctx.host(to), vm, o);
  if (r.code !== 0) throw new Error(`migration of ${vm} failed: ${r.stderr.trim()}`);
  return r;
}

/** Require that a migration failed, with `expected` in virsh's error. */
export function mustFail(r: VirshResult, expected: string): void {
  if (r.code === 0) throw new Error(`virsh ${r.args.join(' ')} succeeded; it should have failed`);
  if (!r.stderr.includes(expected))
    throw new Error(`virsh ${r.args.join(' ')} failed without "${expected}": ${r.stderr.trim()}`);
}

/**
 * Wait until the destination's incoming migration is `active` and has run for `forMs` (a throttled
 * migration is then well inside its first pass).
 */
export async function whileActive(
  ctx: ScenarioContext,
  dst: HostKey,
  vm: string,
  forMs = 1500,
): Promise<void> {
  await ctx.events(dst).waitFor(`${vm} active on ${ctx.host(dst).name}`, migrationStatus(vm, 'active'));
  await sleep(forMs);
}

/** Wait for the destination's RESUME (libvirt's `cont` in the Finish phase). */
export async function destinationResumed(ctx: ScenarioContext, dst: HostKey, vm: string): Promise<void> {
  await ctx.events(dst).waitFor(`${vm} RESUME on ${ctx.host(dst).name}`, plainEvent(vm, 'RESUME'));
}

/** Poll a domain log until it holds `text` (libvirt writes e.g. `reason=crashed` once it notices). */
export async function logHas(
  ctx: ScenarioContext,
  k: HostKey,
  vm: string,
  text: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let body = '';
    try {
      body = readFileSync(ctx.host(k).domainLog(vm), 'utf8');
    } catch {
      // not written yet
    }
    if (body.includes(text)) return;
    if (Date.now() > deadline) throw new Error(`${ctx.host(k).name}: ${vm}.log never showed "${text}"`);
    await sleep(50);
  }
}
