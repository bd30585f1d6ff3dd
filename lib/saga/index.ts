/** A generic saga orchestration engine: definitions, a pure state machine, PostgreSQL persistence and a runner. */
export * from "./definition";
export * from "./messages";
export * from "./state";
export * from "./transitions";
export * from "./saga-store";
export * from "./saga-engine";
