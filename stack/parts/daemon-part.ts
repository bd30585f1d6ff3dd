/**
 * A stack part that is one long-running process answering HTTP on loopback
 * (Zipkin, Prometheus): started once (its pid file trusted only while the
 * process's command line names `marker`), ready when `healthPath` answers
 * 200, stopped by pid.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { niced, nicenessOf } from "../door-first";
import { assertPortsFree, ownedPid, progress, spawnDaemon, stopPid, waitFor } from "../processes";
import type { PartStatus, StackPart } from "./part";

export interface DaemonPartSpec {
  name: string;
  dir: string;
  port: number;
  healthPath: string;
  /** What only our process's command line holds (its jar, its config file). */
  marker: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  readyWithinMs: number;
  /** Said by `status` when it answers. */
  healthyDetail: string;
  /** Before a start: tools present, files written. */
  prepare(): Promise<void>;
}

/** A part that may be left out of a run (`--with <name>`): whether it runs decides whether `status` reports it. */
export interface DaemonPart extends StackPart {
  running(): boolean;
}

export function daemonPart(spec: DaemonPartSpec): DaemonPart {
  const url = `http://127.0.0.1:${spec.port}`;
  const logFile = path.join(spec.dir, `${spec.name}.log`);
  const pidFile = path.join(spec.dir, `${spec.name}.pid`);
  const running = () => ownedPid(pidFile, spec.marker) !== undefined;
  const answers = () =>
    fetch(`${url}${spec.healthPath}`).then(
      (res) => res.ok,
      () => false,
    );
  return {
    name: spec.name,
    logFile,
    running,
    async up() {
      if (running()) {
        progress(spec.name, `already running on ${url}`);
      } else {
        await spec.prepare();
        await assertPortsFree(spec.name, [spec.port]);
        mkdirSync(spec.dir, { recursive: true });
        progress(spec.name, "starting");
        spawnDaemon({ ...niced(spec.command, spec.args, nicenessOf(spec.name)), env: spec.env, logFile, pidFile, cwd: spec.dir });
      }
      await waitFor(spec.name, `ready on ${url}`, answers, spec.readyWithinMs, logFile);
    },
    async down() {
      const pid = ownedPid(pidFile, spec.marker);
      if (!pid) return;
      progress(spec.name, "stopping");
      await stopPid(pid, 30_000);
    },
    async status(): Promise<PartStatus> {
      if (!running()) return { healthy: false, detail: "not running" };
      return (await answers()) ? { healthy: true, detail: spec.healthyDetail } : { healthy: false, detail: "running but not answering" };
    },
  };
}
