import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { compileGlob, compileGlobs } from '../lib/glob.js';
import { tracesEndpoint } from './otlp-endpoint.js';
import type { Problem } from './checks.js';
import type { AgentConfig } from './schema.js';

/**
 * What the types alone cannot tell: values that would make the agent fail at start or run broken
 * (a glob the source cannot follow, a URL the exporter cannot use, unreadable TLS files, an empty
 * socket list), checked with the same parsers the agent uses later, so `--check` and a start agree.
 * Runs on the type-checked configuration, where a field that failed its type is undefined: every
 * check here skips what is not of its type (that problem is already reported).
 */

export interface SemanticDeps {
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
}

/** Settings found in a configuration, as the type check left them (a wrong one is undefined). */
type Loose<T> = { [K in keyof T]?: T[K] extends object | null ? Loose<T[K]> | null : T[K] };

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
// RFC 1123 host names; an address is either this or an IP literal (IPv6 without brackets).
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// journalctl matches: FIELD=VALUE (field names are upper case, digits, `_`), `+` between OR groups,
// or the path of an executable (journalctl turns it into _EXE=).
const MATCH = /^([A-Z0-9_]+=.*|\+|\/.*)$/;

const msg = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function checkSemantics(
  config: Loose<AgentConfig>,
  deps: SemanticDeps,
  problems: Problem[],
  warnings: Problem[],
): void {
  const bad = (path: string, message: string, variable?: string): void =>
    void problems.push({ path, message, ...(variable ? { variable } : {}) });
  const { inputs, http } = config;

  if (inputs && !Object.values(inputs).some((i) => i?.enabled === true))
    bad('inputs', 'no input is enabled; enable at least one of qmp, virsh, journald, libvirtLogs, proxmox');

  const qmp = inputs?.qmp;
  if (Array.isArray(qmp?.sockets)) {
    if (qmp.sockets.length === 0)
      bad(
        'inputs.qmp.sockets',
        'the list is empty; give at least one socket glob such as /run/switchover/*.qmp',
      );
    for (const glob of qmp.sockets) {
      if (typeof glob !== 'string') continue;
      try {
        compileGlobs([glob], 'QMP socket');
      } catch (err) {
        bad('inputs.qmp.sockets', msg(err).replace(/^invalid QMP socket globs: /, ''));
      }
    }
  }
  const logGlob = inputs?.libvirtLogs?.glob;
  if (typeof logGlob === 'string') {
    try {
      compileGlob(logGlob);
    } catch (err) {
      bad('inputs.libvirtLogs.glob', msg(err));
    }
  }

  const journald = inputs?.journald;
  if (journald?.directory && journald.namespace)
    bad('inputs.journald', 'set either directory or namespace, not both');
  const proxmox = inputs?.proxmox;
  if (proxmox?.directory && proxmox.namespace)
    bad('inputs.proxmox', 'set either directory or namespace, not both');
  for (const m of Array.isArray(journald?.matches) ? journald.matches : [])
    if (typeof m === 'string' && !MATCH.test(m))
      bad(
        'inputs.journald.matches',
        `"${m}" is not a journalctl match (FIELD=VALUE, "+", or an executable path)`,
      );

  if (typeof config.stateDir === 'string') {
    const st = statOrNull(config.stateDir);
    if (st && !st.isDirectory()) bad('stateDir', `${config.stateDir} exists and is not a directory`);
  }

  const endpoint = tracesEndpoint(
    typeof config.otlp?.endpoint === 'string' ? config.otlp.endpoint : null,
    deps.env,
  );
  if (endpoint) {
    // Judged as written (the exporter adds /v1/traces to a base URL), so the message shows that.
    const why = urlProblem(endpoint.raw);
    if (why) bad('otlp.endpoint', why, endpoint.from === 'otlp.endpoint' ? undefined : endpoint.from);
  }

  if (typeof http?.address === 'string' && isIP(http.address) === 0 && !HOSTNAME.test(http.address))
    bad(
      'http.address',
      `"${http.address}" is neither an IP address nor a host name${
        /^\[.*\]$/.test(http.address)
          ? ' (write IPv6 addresses without brackets)'
          : /:\d+$/.test(http.address)
            ? ' (the port goes in http.port)'
            : ''
      }`,
    );

  const tls = http?.tls;
  if (tls && typeof tls.certFile === 'string' && typeof tls.keyFile === 'string') {
    const cert = readOrReport(tls.certFile, 'http.tls.certFile', deps, bad);
    const key = readOrReport(tls.keyFile, 'http.tls.keyFile', deps, bad);
    if (cert !== undefined && key !== undefined) {
      try {
        createSecureContext({ cert, key });
      } catch (err) {
        bad('http.tls', `the certificate and key cannot be used together: ${msg(err)}`);
      }
    }
  }

  const auth = http?.basicAuth as
    | (Loose<NonNullable<AgentConfig['http']['basicAuth']>> & { passwordFile?: string })
    | null
    | undefined;
  if (auth) {
    if (auth.passwordFile && !auth.password) {
      const pw = readOrReport(auth.passwordFile, 'http.basicAuth.passwordFile', deps, bad);
      if (pw !== undefined) auth.password = pw.trim();
    }
    if (!auth.username || !auth.password)
      bad('http.basicAuth', 'needs username and password (or passwordFile)');
    delete auth.passwordFile;
    if (!tls && typeof http?.address === 'string' && !LOOPBACK.test(http.address))
      warnings.push({
        path: 'http.basicAuth',
        message: `basic auth without http.tls on ${http.address}: the password crosses the network in clear text; set http.tls or bind to 127.0.0.1`,
      });
  }
}

function statOrNull(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function readOrReport(
  file: string,
  path: string,
  deps: SemanticDeps,
  bad: (path: string, message: string) => void,
): string | undefined {
  try {
    return deps.readFile(file);
  } catch (err) {
    bad(path, `cannot read ${file}: ${msg(err)}`);
    return undefined;
  }
}

/** Why an OTLP/HTTP URL cannot be used, or null. */
function urlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL (expected http://HOST:4318 or https://…)`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `"${url}": OTLP/HTTP needs an http:// or https:// URL, not ${u.protocol}`;
  if (u.hostname === '') return `"${url}" has no host`;
  return null;
}
