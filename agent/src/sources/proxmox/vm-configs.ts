import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isVmid, parseConfName } from '../../records/proxmox-lines.js';

/** The file system calls used on `/etc/pve` (tests point them at a directory of their own). */
export interface PveFs {
  readFile(file: string): Promise<string>;
  readdir(dir: string): Promise<string[]>;
}

export const nodeFs: PveFs = {
  readFile: (f) => fsp.readFile(f, 'utf8'),
  readdir: (d) => fsp.readdir(d),
};

/**
 * The VM configs of the cluster file system, read-only: `<pveDir>/qemu-server/<VMID>.conf` is this
 * node's (a link to `nodes/<this node>/qemu-server`), `<pveDir>/nodes/<node>/qemu-server/` every
 * node's. A VM's name is in its config wherever it lives; the config is under this node once the
 * VM belongs here (a migration moves it from the source's folder to the target's at the end).
 */
export class VmConfigs {
  constructor(
    private readonly pveDir: string,
    private readonly fs: PveFs = nodeFs,
    /** A read failure other than "no such file" (counted, logged once per streak by the caller). */
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** The Proxmox VM name of `vmid`, from its config on any node; undefined when there is none. */
  async name(vmid: string): Promise<string | undefined> {
    if (!isVmid(vmid)) return undefined;
    const local = await this.read(this.localFile(vmid));
    if (local !== undefined) return parseConfName(local);
    const nodesDir = path.join(this.pveDir, 'nodes');
    let nodes: string[];
    try {
      nodes = await this.fs.readdir(nodesDir);
    } catch (err) {
      if (!isMissing(err)) this.onError(err);
      return undefined;
    }
    for (const node of nodes.sort()) {
      if (node.startsWith('.')) continue;
      const text = await this.read(path.join(nodesDir, node, 'qemu-server', `${vmid}.conf`));
      if (text !== undefined) return parseConfName(text);
    }
    return undefined;
  }

  /** Whether the VM's config is under this node. */
  async ownedHere(vmid: string): Promise<boolean> {
    return isVmid(vmid) && (await this.read(this.localFile(vmid))) !== undefined;
  }

  localFile(vmid: string): string {
    return path.join(this.pveDir, 'qemu-server', `${vmid}.conf`);
  }

  private async read(file: string): Promise<string | undefined> {
    try {
      return await this.fs.readFile(file);
    } catch (err) {
      if (!isMissing(err)) this.onError(err);
      return undefined;
    }
  }
}

const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};
