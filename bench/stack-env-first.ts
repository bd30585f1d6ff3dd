/**
 * Imported first by a benchmark that starts Moleculer brokers in its own
 * process: moleculer.config reads the Kafka and Redis logins when it loads,
 * so the stack's settings must be in the environment before that.
 */
import { useStackEnv } from "../stack/stack-env";

useStackEnv();
