// The .deb on a clean Debian 12 (no Node.js): install, run, upgrade, remove, purge. Needs root and
// debootstrap (scripts/system-deps.sh test); `npm test` builds the package first (turbo: test after build).
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoot } from './chroot.mjs';
import { zipEntries } from './zip.mjs';

const REPO = new URL('../..', import.meta.url).pathname;
const VERSION = JSON.parse(readFileSync(join(REPO, 'agent/package.json'), 'utf8')).version;
const DEB = join(REPO, 'packaging/dist', `switchover_${VERSION}_amd64.deb`);
const UPGRADE = `${VERSION}+upgradetest1`;
const INCIDENT = join(REPO, 'agent/test/fixtures/review/libvirt-silent-9.1');

describe('the Debian package on a clean Debian 12 root (debootstrap minbase)', () => {
  let root;
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('debootstrap and chroot need root');
    if (!existsSync(DEB)) throw new Error(`${DEB} is missing: npm run package builds it`);
    root = await makeRoot();
    console.log(`debootstrap --variant=minbase bookworm: ${root.seconds.toFixed(1)} s`);
    copyFileSync(DEB, root.path('tmp/switchover.deb'));
    cpSync(INCIDENT, root.path('tmp/incident'), { recursive: true });
  });
  afterAll(() => root?.remove());

  it('the root has no Node.js', () => {
    expect(root.run('sh', '-c', 'command -v node nodejs').code).not.toBe(0);
    expect(existsSync(root.path('usr/bin/node'))).toBe(false);
  });

  it('installs: user, state directory, conffile, unit whose Documentation= files exist', () => {
    const r = root.run('dpkg', '-i', '/tmp/switchover.deb');
    expect(r.code, r.err).toBe(0);
    expect(root.run('dpkg-query', '-W', '-f=${Status} ${Version}', 'switchover').out).toBe(
      `install ok installed ${VERSION}`,
    );
    expect(root.run('dpkg-query', '-W', '-f=${Conffiles}', 'switchover').out).toContain(
      '/etc/switchover/agent.yaml',
    );
    expect(root.run('getent', 'passwd', 'switchover').out).toMatch(
      /^switchover:x:\d+:\d+:Switchover agent:\/var\/lib\/switchover:\/usr\/sbin\/nologin/,
    );
    const state = statSync(root.path('var/lib/switchover'));
    expect(state.isDirectory()).toBe(true);
    expect(state.mode & 0o777).toBe(0o750);
    const unit = readFileSync(root.path('lib/systemd/system/switchover-agent.service'), 'utf8');
    expect(unit).toContain('ExecStart=/usr/bin/switchover agent --config /etc/switchover/agent.yaml');
    const docs = /^Documentation=(.*)$/m.exec(unit)?.[1]?.split(/\s+/) ?? [];
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) expect(existsSync(root.path(d.replace(/^file:\/\/\//, ''))), d).toBe(true);
    for (const f of ['copyright', 'LICENSE.node', 'README.md', 'deploy.md', 'RUNBOOK.md'])
      expect(existsSync(root.path(`usr/share/doc/switchover/${f}`)), f).toBe(true);
  });

  it('ships the Grafana plugin as the zip Grafana installs: the plugin id as its one top folder', () => {
    const dir = root.path('usr/share/switchover/grafana-plugin');
    const zips = readdirSync(dir);
    const pluginJson = JSON.parse(readFileSync(join(REPO, 'grafana-plugin/dist/plugin.json'), 'utf8'));
    expect(zips).toEqual([`${pluginJson.id}-${pluginJson.info.version}.zip`]);
    const names = zipEntries(join(dir, zips[0]));
    expect(new Set(names.map((n) => n.split('/')[0]))).toEqual(new Set([pluginJson.id]));
    for (const f of ['plugin.json', 'module.js', 'img/logo.svg'])
      expect(names).toContain(`${pluginJson.id}/${f}`);
  });

  it('switchover --version runs without Node.js', () => {
    const r = root.run('switchover', '--version');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`switchover ${VERSION}\n`);
    expect(r.err).toBe('');
  });

  it('switchover review finds the silent failure in a fixture incident; the output matches the installed schema', () => {
    const hosts = readdirSync(INCIDENT)
      .filter((f) => f !== 'expected.json' && !f.includes('qemu-time'))
      .flatMap((f) => ['--host', `${f.split('.')[0]}=/tmp/incident/${f}`]);
    const r = root.run('switchover', 'review', '--json', ...hosts);
    expect(r.code, r.err).toBe(1); // a problem was found
    const doc = JSON.parse(r.out);
    expect(doc.migrations.map((m) => [m.vm, m.verdict, m.failedDevices])).toEqual([
      ['sim-gpu-12', 'silent-destination-failure', ['0000:c3:00.5']],
    ]);
    const schema = JSON.parse(
      readFileSync(root.path('usr/share/switchover/review-output.schema.json'), 'utf8'),
    );
    expect(schema).toEqual(
      JSON.parse(readFileSync(join(REPO, 'agent/contracts/review-output.schema.json'), 'utf8')),
    );
    expect(schema.properties.migrations.items.properties.verdict.enum).toContain(doc.migrations[0].verdict);
    const text = root.run('switchover', 'review', ...hosts);
    expect(text.out).toContain('SILENT DESTINATION FAILURE');
  });

  it('switchover agent --check accepts the installed config; the host defaults to the hostname', () => {
    const r = root.run('switchover', 'agent', '--check');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^configuration is valid:/);
    const shown = JSON.parse(r.out.slice(r.out.indexOf('{')));
    expect(shown.host).toBe(hostname());
    expect(shown.stateDir).toBe('/var/lib/switchover');
  });

  it('upgrade to a newer version keeps the edited config and the state', async () => {
    writeFileSync(root.path('etc/switchover/agent.yaml'), 'host: edited-by-operator\n', { flag: 'a' });
    writeFileSync(root.path('var/lib/switchover/recorder-000001.jsonl'), '{"kept":true}\n');
    await promisify(execFile)(
      process.execPath,
      [
        join(REPO, 'packaging/scripts/package.mjs'),
        '--version',
        UPGRADE,
        '--compress',
        'none',
        '--out',
        root.path('tmp/upgrade'),
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const r = root.run('dpkg', '-i', `/tmp/upgrade/switchover_${UPGRADE}_amd64.deb`);
    expect(r.code, r.err).toBe(0);
    expect(root.run('dpkg-query', '-W', '-f=${Version}', 'switchover').out).toBe(UPGRADE);
    expect(root.run('switchover', '--version').out).toBe(`switchover ${UPGRADE}\n`);
    expect(readFileSync(root.path('etc/switchover/agent.yaml'), 'utf8')).toContain(
      'host: edited-by-operator',
    );
    expect(readFileSync(root.path('var/lib/switchover/recorder-000001.jsonl'), 'utf8')).toBe(
      '{"kept":true}\n',
    );
    expect(root.run('switchover', 'agent', '--check').out).toContain('"host": "edited-by-operator"');
  });

  it('remove keeps config and state; purge removes both', () => {
    const r = root.run('dpkg', '-r', 'switchover');
    expect(r.code, r.err).toBe(0);
    expect(existsSync(root.path('usr/bin/switchover'))).toBe(false);
    expect(root.run('dpkg-query', '-W', '-f=${Status}', 'switchover').out).toBe('deinstall ok config-files');
    expect(readFileSync(root.path('etc/switchover/agent.yaml'), 'utf8')).toContain(
      'host: edited-by-operator',
    );
    expect(existsSync(root.path('var/lib/switchover/recorder-000001.jsonl'))).toBe(true);
    const p = root.run('dpkg', '--purge', 'switchover');
    expect(p.code, p.err).toBe(0);
    expect(existsSync(root.path('etc/switchover'))).toBe(false);
    expect(existsSync(root.path('var/lib/switchover'))).toBe(false);
  });
});
