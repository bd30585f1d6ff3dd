/**
 * Zipkin: the trace store the services export spans to (in memory, so a
 * restart starts empty), with its UI and API on loopback. Its own exec jar
 * from Maven Central, run by Java 17 like Kafka.
 */
import { LOCAL_STACK } from "../../lib/environment";
import { zipkinDir } from "../layout";
import { daemonPart } from "./daemon-part";
import { ensureJars, zipkinJar } from "./jars";

const port = LOCAL_STACK.zipkinPort;

/** Spans the in-memory store holds, the oldest traces dropped first: a bound so a long run cannot exhaust the heap (-Xmx384m holds it). */
export const ZIPKIN_MAX_SPANS = 200_000;

export const zipkinUrl = () => `http://127.0.0.1:${port}`;

export const zipkin = daemonPart({
  name: "zipkin",
  dir: zipkinDir,
  port,
  healthPath: "/health",
  marker: zipkinJar,
  command: "java",
  // Spring Boot replaces a list property whole, so the one port is given in full: loopback, HTTP.
  args: ["-Xmx384m", "-jar", zipkinJar, `--armeria.ports[0].port=${port}`, "--armeria.ports[0].ip=127.0.0.1", "--armeria.ports[0].protocols[0]=http"],
  env: { ...process.env, MEM_MAX_SPANS: String(ZIPKIN_MAX_SPANS) },
  readyWithinMs: 120_000,
  healthyDetail: `UI and API on ${zipkinUrl()}`,
  prepare: ensureJars,
});
