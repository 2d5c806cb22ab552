import { INPUTS, type LostLineReason } from '@switchover/model';
import type { AgentConfig } from '../config/schema.js';
import type { Logger } from '../lib/log.js';
import { JournaldSource } from '../sources/journald/journald-source.js';
import { LibvirtLogSource } from '../sources/libvirt-log/libvirt-log-source.js';
import { ProxmoxSource } from '../sources/proxmox/proxmox-source.js';
import { QmpSource } from '../sources/qmp/qmp-source.js';
import { localTimeZone } from '../records/local-time.js';
import type { Source, SourceCallbacks } from '../sources/types.js';
import { VirshSource } from '../sources/virsh/virsh-source.js';

/** The enabled inputs of a configuration, constructed (not started). */
export function createSources(
  config: AgentConfig,
  callbacks: SourceCallbacks,
  deps: {
    logger: Logger;
    onLag: (seconds: number) => void;
    onLinesLost?: (input: string, reason: LostLineReason, lines: number) => void;
  },
): Source[] {
  const { host, stateDir, inputs } = config;
  const logger = deps.logger;
  const out: Source[] = [];
  if (inputs.qmp.enabled)
    out.push(
      new QmpSource({
        host,
        globs: inputs.qmp.sockets,
        callbacks,
        pollMs: inputs.qmp.pollIntervalMs,
        logger: logger.child({ input: 'qmp' }),
      }),
    );
  if (inputs.virsh.enabled)
    out.push(
      new VirshSource(
        {
          host,
          virsh: inputs.virsh.binary,
          ...(inputs.virsh.uri ? { uri: inputs.virsh.uri } : {}),
          timestamp: inputs.virsh.timestamp,
        },
        callbacks,
        { logger: logger.child({ input: 'virsh' }) },
      ),
    );
  if (inputs.journald.enabled) {
    const j = inputs.journald;
    out.push(
      new JournaldSource(
        {
          host,
          stateDir,
          matches: j.matches,
          startAt: j.startAt,
          ...(j.directory ? { directory: j.directory } : {}),
          ...(j.namespace ? { namespace: j.namespace } : {}),
        },
        callbacks,
        { logger: logger.child({ input: 'journald' }), onLag: deps.onLag },
      ),
    );
  }
  if (inputs.libvirtLogs.enabled) {
    const l = inputs.libvirtLogs;
    out.push(
      new LibvirtLogSource(
        { host, stateDir, glob: l.glob, startAt: l.startAt, pollIntervalMs: l.pollIntervalMs },
        callbacks,
        {
          logger: logger.child({ input: 'libvirt-log' }),
          onLinesLost: (reason, n) => deps.onLinesLost?.(INPUTS.libvirtLog, reason, n),
        },
      ),
    );
  }
  if (inputs.proxmox.enabled) {
    const p = inputs.proxmox;
    out.push(
      new ProxmoxSource(
        {
          host,
          stateDir,
          timeZone: p.timeZone ?? localTimeZone(),
          tasksDir: p.tasksDir,
          pveDir: p.pveDir,
          startAt: p.startAt,
          pollIntervalMs: p.pollIntervalMs,
          configWaitMs: config.detection.resumeWaitSeconds * 1000,
          ...(p.directory ? { directory: p.directory } : {}),
          ...(p.namespace ? { namespace: p.namespace } : {}),
        },
        callbacks,
        { logger: logger.child({ input: 'proxmox' }), onLag: deps.onLag },
      ),
    );
  }
  return out;
}
