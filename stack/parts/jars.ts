/** The JVM parts (Kafka, Connect, Debezium, Zipkin) come from Maven Central through stack/maven/pom.xml. */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { jarsDir, repoRoot } from "../layout";
import { niced, nicenessOf } from "../door-first";
import { ownedPid, progress, requireCommand, run, spawnDaemon, stopPid } from "../processes";

const pom = path.join(repoRoot, "stack", "maven", "pom.xml");
export const kafkaClasspath = path.join(jarsDir, "lib", "*");
export const connectPluginPath = path.join(jarsDir, "plugins");
export const zipkinJar = path.join(jarsDir, "zipkin", "zipkin-server.jar");

export async function requireJava(): Promise<void> {
  await requireCommand("java", "install a JDK 17 (apt-get install openjdk-17-jdk-headless)");
}

/** Fetches the jars once per pom version; a second start downloads and runs nothing. */
export async function ensureJars(): Promise<void> {
  await requireJava();
  const stamp = path.join(jarsDir, "pom.sha1");
  const digest = createHash("sha1").update(readFileSync(pom)).digest("hex");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === digest) return;
  await requireCommand("mvn", "install Maven (apt-get install maven)");
  progress("jars", "fetching Kafka, Connect, Debezium and Zipkin from Maven Central (first run only)");
  mkdirSync(jarsDir, { recursive: true });
  await run("mvn", [
    "-q",
    "-B",
    "-f",
    pom,
    "package",
    `-Dstack.lib=${path.join(jarsDir, "lib")}`,
    `-Dstack.plugins=${connectPluginPath}`,
    `-Dstack.zipkin=${path.dirname(zipkinJar)}`,
  ]);
  writeFileSync(stamp, digest);
  progress("jars", "ready");
}

/**
 * A log4j 1.x config that sends a JVM part's log to its stdout (our log
 * file), at WARN: at INFO an idle Connect worker with six Debezium tasks
 * writes hundreds of lines a minute.
 */
export function writeLog4jConfig(file: string): void {
  writeFileSync(
    file,
    [
      "log4j.rootLogger=WARN, out",
      "log4j.appender.out=org.apache.log4j.ConsoleAppender",
      "log4j.appender.out.layout=org.apache.log4j.PatternLayout",
      "log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n",
      "log4j.logger.org.reflections=ERROR",
      "",
    ].join("\n"),
  );
}

export function javaArgs(heap: string, log4jFile: string, mainClass: string, ...args: string[]): string[] {
  return [`-Xmx${heap}`, `-Dlog4j.configuration=file:${log4jFile}`, "-cp", kafkaClasspath, mainClass, ...args];
}

/** A Java properties file that only this account can read. */
export function writeProperties(file: string, properties: Record<string, string | number>): void {
  writeFileSync(
    file,
    Object.entries(properties)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") + "\n",
    { mode: 0o600 },
  );
  chmodSync(file, 0o600);
}

/** A JVM part of the stack (Kafka, Connect): one java process with its properties, log4j config, log and pid file in its own folder. */
export class JvmProcess {
  readonly logFile: string;
  readonly pidFile: string;
  readonly propertiesFile: string;
  readonly log4jFile: string;

  constructor(
    private readonly part: string,
    private readonly dir: string,
    private readonly mainClass: string,
    files: { name: string; properties: string },
  ) {
    this.logFile = path.join(dir, `${files.name}.log`);
    this.pidFile = path.join(dir, `${files.name}.pid`);
    this.propertiesFile = path.join(dir, files.properties);
    this.log4jFile = path.join(dir, "log4j.properties");
  }

  /** The pid, if our process runs (its command line names our properties file). */
  running(): number | undefined {
    return ownedPid(this.pidFile, this.propertiesFile);
  }

  /** Writes the properties (readable by this account only: they hold logins) and log config; the caller then prepares storage and calls start(). */
  configure(properties: Record<string, string | number>): void {
    mkdirSync(this.dir, { recursive: true });
    writeProperties(this.propertiesFile, properties);
    writeLog4jConfig(this.log4jFile);
  }

  start(heap = "1g"): void {
    progress(this.part, `starting (${path.basename(this.propertiesFile)})`);
    spawnDaemon({
      ...niced("java", javaArgs(heap, this.log4jFile, this.mainClass, this.propertiesFile), nicenessOf(this.part)),
      logFile: this.logFile,
      pidFile: this.pidFile,
      cwd: this.dir,
    });
  }

  async stop(): Promise<void> {
    const pid = this.running();
    if (!pid) return;
    progress(this.part, "stopping");
    await stopPid(pid, 60_000);
  }
}
