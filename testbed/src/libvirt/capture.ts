/**
 * `npm run capture:libvirt -w @switchover/testbed`: run every scenario of issue 8 on two real libvirt
 * hosts and write each one's domain logs, virsh event files and expected.json into a folder of its
 * own (default: the agent's review fixtures, agent/test/fixtures/libvirt/).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { libvirtUnavailable } from './available.js';
import { startLibvirtHosts } from './hosts.js';
import { LIBVIRT_SCENARIOS, runScenario } from './scenarios/index.js';

const HELP = `Usage: capture-libvirt [--out DIR] [--only NAME,...] [--keep]

Starts two real libvirt daemons (hv-a, hv-b) in namespaces of their own, runs every migration
scenario for real, and writes per scenario DIR/NAME/: both hosts' domain logs (HOST.libvirt.log),
both hosts' \`virsh qemu-monitor-event --loop --timestamp\` output (HOST.events.txt; one scenario also
without --timestamp: HOST.events-qemu-time.txt) and expected.json (what really happened, the verdicts
Switchover should give, and the shape the files must have). Only the VFIO failure line is simulated.
Needs root and the packages of scripts/system-deps.sh test.

Options:
  --out DIR        where the scenario folders go (default: agent/test/fixtures/libvirt)
  --only NAMES     comma-separated scenario names (default: all)
  --keep           keep the hosts' temporary directory (libvirtd logs) after the run
  -h, --help       this help

Scenarios: ${LIBVIRT_SCENARIOS.map((s) => s.name).join(', ')}
`;

/** The repository is prettier-formatted: write expected.json as prettier would (when it is installed). */
async function formatJson(file: string): Promise<void> {
  let prettier: typeof import('prettier');
  try {
    prettier = await import('prettier');
  } catch {
    return;
  }
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(readFileSync(file, 'utf8'), { ...options, filepath: file }));
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      only: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const why = libvirtUnavailable();
  if (why) {
    process.stderr.write(`capture-libvirt: ${why}\n`);
    return 2;
  }
  const only = values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only?.filter((n) => !LIBVIRT_SCENARIOS.some((s) => s.name === n)) ?? [];
  if (unknown.length) {
    process.stderr.write(`capture-libvirt: unknown scenario ${unknown.join(', ')}\n\n${HELP}`);
    return 2;
  }
  const out = resolve(values.out ?? join(import.meta.dirname, '../../../agent/test/fixtures/libvirt'));
  const log = (line: string): void => void process.stdout.write(`  ${line}\n`);
  const hosts = await startLibvirtHosts({ keep: values.keep });
  process.stdout.write(`two libvirt hosts up in ${hosts.startupMs} ms (${hosts.dir})\n`);
  try {
    for (const s of LIBVIRT_SCENARIOS) {
      if (only && !only.includes(s.name)) continue;
      const dir = join(out, s.name);
      rmSync(dir, { recursive: true, force: true });
      const r = await runScenario(hosts, s, { outDir: dir, strict: true, log }).catch((err: unknown) => {
        rmSync(dir, { recursive: true, force: true }); // no half-written fixture
        throw err;
      });
      await formatJson(join(dir, 'expected.json'));
      process.stdout.write(`${s.name}: ${r.ms} ms -> ${dir}\n`);
    }
  } finally {
    await hosts.stop();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`capture-libvirt: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
