import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { domainXml, type DomainSpec } from './domain-xml.js';
import { HOST_DIRS, type HostIdentity } from './host-setup.js';
import { alive, hostPidOf } from './pids.js';
import { CLEAN_ENV, runVirsh, socketUri, virshOk, type VirshResult } from './virsh.js';

const execFileP = promisify(execFile);

/**
 * One libvirt host of the harness, seen from outside its namespaces: the client URI of its libvirtd,
 * where its files are on this machine, and its QEMU processes.
 */
export class LibvirtHost {
  /** `qemu+unix:///system?socket=…`: what `virsh -c` and a migration's destination URI take. */
  readonly uri: string;
  /** `/var/log/libvirt/qemu` of this host, as a directory of this machine. */
  readonly logDir: string;

  constructor(
    readonly identity: HostIdentity,
    /** This host's directory: `run/`, `etc/`, `lib/`, `log/`, `cache/` are its libvirt directories. */
    readonly root: string,
    /** This machine's pid of the host's namespace init (null once it is gone). */
    private readonly initPid: () => number | null,
  ) {
    this.uri = socketUri(join(root, 'run', 'libvirt-sock'));
    this.logDir = join(root, 'log', 'qemu');
  }

  get name(): string {
    return this.identity.name;
  }

  /** A path inside the host (under one of libvirt's directories) as a path of this machine. */
  outside(insidePath: string): string {
    for (const [dir, target] of Object.entries(HOST_DIRS))
      if (insidePath === target || insidePath.startsWith(`${target}/`))
        return join(this.root, dir, insidePath.slice(target.length));
    throw new Error(
      `${insidePath} is not under a directory the harness maps (${Object.values(HOST_DIRS).join(', ')})`,
    );
  }

  /** `/var/log/libvirt/qemu/VM.log` on this host. */
  domainLog(vm: string): string {
    return join(this.logDir, `${vm}.log`);
  }

  /** libvirtd's own log (`log_outputs`), for diagnosing a harness failure. */
  get libvirtdLog(): string {
    return join(this.root, 'log', 'libvirtd.log');
  }

  virsh(args: readonly string[]): Promise<VirshResult> {
    return runVirsh(this.uri, args);
  }

  virshOk(args: readonly string[]): Promise<VirshResult> {
    return virshOk(this.uri, args);
  }

  /** Define a persistent domain from `spec` and start it. */
  async defineAndStart(spec: DomainSpec): Promise<void> {
    const file = this.writeXml(spec.name, domainXml(spec));
    await this.virshOk(['define', file]);
    await this.virshOk(['start', spec.name]);
  }

  /** Write a domain XML where virsh (a client of this machine) can read it; returns its path. */
  writeXml(name: string, xml: string): string {
    const dir = join(this.root, 'xml');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.xml`);
    writeFileSync(file, xml);
    return file;
  }

  /** The pid (on this machine) of the VM's QEMU on this host, or null when it has none. */
  qemuPid(vm: string): number | null {
    return this.pidFromFile(join(this.root, 'run', 'qemu', `${vm}.pid`));
  }

  /** A pid file of this host (namespace pids) as a pid of this machine. */
  private pidFromFile(file: string): number | null {
    const init = this.initPid();
    if (init === null) return null;
    let nsPid: number;
    try {
      nsPid = Number(readFileSync(file, 'utf8').trim());
    } catch {
      return null;
    }
    return Number.isInteger(nsPid) && nsPid > 0 ? hostPidOf(init, nsPid) : null;
  }

  /**
   * Restart this host's libvirtd as `systemctl restart libvirtd` would (a package upgrade does):
   * SIGTERM, then start it again inside the host's namespaces. Its QEMUs keep running and are
   * reconnected; every client (virsh event loops included) is disconnected.
   */
  async restartLibvirtd(timeoutMs = 30_000): Promise<void> {
    const init = this.initPid();
    const pid = this.pidFromFile(join(this.root, 'run', 'libvirtd.pid'));
    if (init === null || pid === null) throw new Error(`${this.name}: libvirtd is not running`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (alive(pid)) {
      if (Date.now() > deadline) throw new Error(`${this.name}: libvirtd did not stop`);
      await sleep(20);
    }
    await execFileP(
      '/usr/bin/nsenter',
      [
        `--target=${init}`,
        '--mount',
        '--uts',
        '--pid',
        '--net',
        '--',
        '/usr/sbin/libvirtd',
        '-d',
        '-p',
        '/run/libvirt/libvirtd.pid',
      ],
      { env: { PATH: CLEAN_ENV.PATH } }, // as the init script starts it: env -i PATH=…
    );
    while ((await this.virsh(['version'])).code !== 0) {
      if (Date.now() > deadline) throw new Error(`${this.name}: libvirtd did not come back`);
      await sleep(50);
    }
  }

  /** Send a signal to the VM's QEMU on this host (as a crash, an abort or an admin's kill would). */
  signalQemu(vm: string, signal: NodeJS.Signals): number {
    const pid = this.qemuPid(vm);
    if (pid === null) throw new Error(`${this.name}: no QEMU process for ${vm}`);
    process.kill(pid, signal);
    return pid;
  }

  /** `virsh domstate VM` (`running`, `paused`, `shut off`, …), or null when the host has no such domain. */
  async domainState(vm: string): Promise<string | null> {
    const r = await this.virsh(['domstate', vm]);
    return r.code === 0 ? r.stdout.trim() : null;
  }
}
