import type { Knex } from "knex";
import type { SagaDefinition } from "../../../lib/saga/definition";
import { replyFor, type SagaCommand } from "../../../lib/saga/messages";
import { SagaEngine } from "../../../lib/saga/saga-engine";
import { isTransientError } from "../../../lib/inbox/transient-errors";
import { ConcurrentModificationError } from "../../../lib/saga/saga-store";
import type { CommittedTransition } from "../../../lib/saga/saga-engine";
import type { OutgoingMessage } from "../../../lib/saga/state";
import { SAGA_ID, T0, abcdSaga, at, buildAbcdSaga, type AbcdData } from "./abcd-saga";
import { MemorySagaStore, fakeTransaction } from "./memory-saga-store";

const OTHER_ID = "0b7a4c8c-40db-4e1f-8a2b-3c4d5e6f7a8b";
const THIRD_ID = "5e6f7a8b-9c0d-4e1f-9a2b-3c4d5e6f7a8b";
const data: AbcdData = { input: 7, results: [] };
// A consumer's transaction, never settled here: these tests look at what is written, not at what is told after commits.
const callerTrx = fakeTransaction().trx;

function setup(definitions: SagaDefinition<AbcdData>[] = [abcdSaga], store = new MemorySagaStore()) {
  const sent: { trx: Knex.Transaction; message: OutgoingMessage }[] = [];
  const told: CommittedTransition<AbcdData>[][] = [];
  const clock = { now: T0 };
  const engine = new SagaEngine<AbcdData>({
    store,
    definitions,
    outbox: {
      rows: (messages) => messages,
      insert: async (trx, messages) => {
        for (const message of messages as OutgoingMessage[]) sent.push({ trx, message });
      },
    },
    onCommitted: (transitions) => told.push(transitions),
    clock: () => clock.now,
  });
  const lastCommand = () => sent[sent.length - 1]?.message.payload as SagaCommand;
  return { engine, store, sent, told, clock, lastCommand };
}

describe("SagaEngine.start", () => {
  it("creates the instance at version 1, logs it and sends the first command in the caller's transaction", async () => {
    const { engine, store, sent } = setup();
    await engine.start(callerTrx, SAGA_ID, data);

    expect(store.stateOf(SAGA_ID)).toMatchObject({ status: "RUNNING", currentStep: 0, version: 1, definitionVersion: 1 });
    expect(store.log.map((e) => e.kind)).toEqual(["saga_started", "command_sent"]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.trx).toBe(callerTrx);
    expect(sent[0]?.message).toMatchObject({ topic: "a.commands", key: SAGA_ID, type: "DoA" });
  });

  it("starting the same saga again changes nothing but the log", async () => {
    const { engine, store, sent } = setup();
    await engine.start(callerTrx, SAGA_ID, data);
    const again = await engine.start(callerTrx, SAGA_ID, { input: 99, results: [] });

    expect(again.changed).toBe(false);
    expect(store.stateOf(SAGA_ID)).toMatchObject({ version: 1, data: { input: 7 } });
    expect(sent).toHaveLength(1);
    expect(store.log.map((e) => e.kind)).toEqual(["saga_started", "command_sent", "event_ignored"]);
  });
});

describe("SagaEngine.handleReply", () => {
  it("applies a reply with a version bump; a duplicate only adds to the log", async () => {
    const { engine, store, sent, lastCommand } = setup();
    await engine.start(callerTrx, SAGA_ID, data);
    const reply = replyFor(lastCommand(), "ADone", { result: "r0" });

    await engine.handleReply(callerTrx, "m-1", reply);
    expect(store.stateOf(SAGA_ID)).toMatchObject({ currentStep: 1, version: 2, data: { results: ["r0"] } });
    expect(sent.map((s) => s.message.type)).toEqual(["DoA", "DoB"]);
    expect(sent[1]?.trx).toBe(callerTrx);

    const duplicate = await engine.handleReply(callerTrx, "m-1", reply);
    expect(duplicate?.changed).toBe(false);
    expect(store.stateOf(SAGA_ID)).toMatchObject({ version: 2, data: { results: ["r0"] } });
    expect(sent).toHaveLength(2);
    expect(store.log[store.log.length - 1]).toMatchObject({ kind: "reply_ignored", messageId: "m-1" });
  });

  it("returns null for a saga it does not run, touching nothing", async () => {
    const { engine, store, lastCommand } = setup();
    await engine.start(callerTrx, SAGA_ID, data);
    const command = lastCommand();
    const logged = store.log.length;

    const otherType = replyFor({ ...command, correlation: { ...command.correlation, sagaType: "other" } }, "ADone", {});
    const unknownId = replyFor({ ...command, correlation: { ...command.correlation, sagaId: OTHER_ID } }, "ADone", {});
    expect(await engine.handleReply(callerTrx, "m-1", otherType)).toBeNull();
    expect(await engine.handleReply(callerTrx, "m-2", unknownId)).toBeNull();
    expect(store.log).toHaveLength(logged);
    expect(store.stateOf(SAGA_ID).version).toBe(1);
  });

  it("fails with ConcurrentModificationError, before logging or sending, when another writer got there first", async () => {
    const { engine, store, sent, lastCommand } = setup();
    await engine.start(callerTrx, SAGA_ID, data);
    const logged = store.log.length;
    store.afterLoad = (id) => {
      const saga = store.sagas.get(id);
      if (saga) store.sagas.set(id, { ...saga, version: saga.version + 1 });
    };

    await expect(engine.handleReply(callerTrx, "m-1", replyFor(lastCommand(), "ADone", { result: "r0" }))).rejects.toBeInstanceOf(ConcurrentModificationError);
    expect(store.log).toHaveLength(logged);
    expect(sent).toHaveLength(1);
  });
});

describe("SagaEngine.sweepOverdue", () => {
  async function startAt(engine: SagaEngine<AbcdData>, clock: { now: Date }, sagaId: string, when: number) {
    clock.now = at(when);
    await engine.start(callerTrx, sagaId, data);
  }

  it("applies each overdue deadline in its own transaction, earliest first, and leaves the rest alone", async () => {
    const { engine, store, sent, clock } = setup();
    await startAt(engine, clock, SAGA_ID, 500); // due at 1500
    await startAt(engine, clock, OTHER_ID, 0); // due at 1000
    await startAt(engine, clock, THIRD_ID, 5_000); // due at 6000
    sent.length = 0;
    const transactionsBefore = store.transactions;

    const report = await engine.sweepOverdue(at(2_000));

    expect(report).toEqual({ swept: [OTHER_ID, SAGA_ID], failed: [], postponedFor: [] });
    expect(store.transactions - transactionsBefore).toBe(3); // two sagas, then one that found nothing
    expect(sent.map((s) => [s.message.key, (s.message.payload as SagaCommand).correlation.attempt])).toEqual([
      [OTHER_ID, 2],
      [SAGA_ID, 2],
    ]);
    expect(store.stateOf(THIRD_ID)).toMatchObject({ attempt: 1, version: 1 });
  });

  it("stops after maxSagas", async () => {
    const { engine, clock } = setup();
    await startAt(engine, clock, SAGA_ID, 0);
    await startAt(engine, clock, OTHER_ID, 0);
    expect((await engine.sweepOverdue(at(2_000), 1)).swept).toHaveLength(1);
  });

  it("rolls back a saga whose sweep throws, reports it and carries on with the others", async () => {
    const store = new MemorySagaStore();
    const { engine: v2Engine, clock: v2Clock } = setup([buildAbcdSaga(2)], store);
    await startAt(v2Engine, v2Clock, OTHER_ID, 0); // a v2 saga the v1-only engine below cannot run
    const { engine, clock } = setup([abcdSaga], store);
    await startAt(engine, clock, SAGA_ID, 100);
    const logged = store.log.length;

    const report = await engine.sweepOverdue(at(2_000));

    expect(report.swept).toEqual([SAGA_ID]);
    expect(report.failed).toEqual([
      { sagaId: OTHER_ID, error: expect.objectContaining({ message: expect.stringMatching(/needs abcd v2, which is not loaded/) }) },
    ]);
    expect(store.stateOf(OTHER_ID)).toMatchObject({ attempt: 1, version: 1 });
    expect(store.log.length - logged).toBe(2); // deadline_passed and command_sent, for SAGA_ID only
  });
});

describe("SagaEngine operator actions", () => {
  /** Start, step A done, then B's deadline and both tries of UndoB time out. */
  async function parkedSaga() {
    const setupResult = setup();
    const { engine, lastCommand } = setupResult;
    await engine.start(callerTrx, SAGA_ID, data);
    await engine.handleReply(callerTrx, "m-1", replyFor(lastCommand(), "ADone", { result: "r0" }));
    for (const when of [2_000, 3_000, 4_000]) await engine.sweepOverdue(at(when));
    expect(setupResult.store.stateOf(SAGA_ID).status).toBe("NEEDS_ATTENTION");
    return setupResult;
  }

  it("retry re-sends the parked compensation in its own transaction", async () => {
    const { engine, store, lastCommand } = await parkedSaga();
    const transactionsBefore = store.transactions;

    const result = await engine.retry(SAGA_ID, "operator-1");

    expect(result?.state).toMatchObject({ status: "COMPENSATING", attempt: 3 });
    expect(store.transactions - transactionsBefore).toBe(1);
    expect(store.stateOf(SAGA_ID)).toMatchObject({ status: "COMPENSATING", attempt: 3 });
    expect(lastCommand()).toMatchObject({ type: "UndoB", correlation: { attempt: 3 } });
  });

  it("abort fails the parked saga and sends its result", async () => {
    const { engine, store, sent } = await parkedSaga();
    await engine.abort(SAGA_ID, "refunded by hand", "operator-1");
    expect(store.stateOf(SAGA_ID)).toMatchObject({ status: "FAILED", failureReason: "aborted by operator: refunded by hand" });
    expect(sent[sent.length - 1]?.message).toMatchObject({ topic: "test.results", type: "SagaFailed" });
  });

  it("returns null for an unknown saga", async () => {
    const { engine } = setup();
    expect(await engine.retry(OTHER_ID, "operator-1")).toBeNull();
    expect(await engine.abort(OTHER_ID, "no", "operator-1")).toBeNull();
  });
});

describe("SagaEngine onCommitted", () => {
  /** Lets the engine's then() callbacks run. */
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  it("tells, once per transaction and only after its commit, every transition that changed a saga, in order, with its version", async () => {
    const { engine, told, lastCommand } = setup();
    const { trx, commit } = fakeTransaction();
    await engine.start(trx, SAGA_ID, data);
    await engine.handleReply(trx, "m-1", replyFor(lastCommand(), "ADone", { result: "r0" }));
    // A duplicate reply changes nothing, so there is nothing to tell about it.
    await engine.handleReply(trx, "m-1", replyFor(lastCommand(), "ADone", { result: "r0" }));
    await settled();
    expect(told).toEqual([]);

    commit();
    await settled();
    expect(told).toHaveLength(1);
    expect(told[0]!.map((t) => [t.before?.currentStep ?? null, t.after.currentStep, t.version])).toEqual([
      [null, 0, 1],
      [0, 1, 2],
    ]);
  });

  it("tells nothing about a transaction that rolled back", async () => {
    const { engine, told } = setup();
    const { trx, rollback } = fakeTransaction();
    await engine.start(trx, SAGA_ID, data);
    rollback(new Error("lost the connection"));
    await settled();
    expect(told).toEqual([]);
  });

  it("tells about the sweeper's and the operator's transitions too, each in its own transaction", async () => {
    const { engine, told, lastCommand } = setup();
    const { trx, commit } = fakeTransaction();
    await engine.start(trx, SAGA_ID, data);
    await engine.handleReply(trx, "m-1", replyFor(lastCommand(), "ADone", { result: "r0" }));
    commit();
    for (const when of [2_000, 3_000, 4_000]) await engine.sweepOverdue(at(when));
    await engine.abort(SAGA_ID, "refunded by hand", "operator-1");
    await settled();
    expect(told.map((transitions) => transitions.map((t) => `${t.after.status} v${t.version}`))).toEqual([
      ["RUNNING v1", "RUNNING v2"],
      // B's deadline compensates it; UndoB's first deadline re-sends it; its second parks the saga.
      ["COMPENSATING v3"],
      ["COMPENSATING v4"],
      ["NEEDS_ATTENTION v5"],
      ["FAILED v6"],
    ]);
  });
});

describe("SagaEngine definitions", () => {
  it("starts new sagas with the newest version and runs older instances with their own", async () => {
    const store = new MemorySagaStore();
    const { engine: oldEngine } = setup([abcdSaga], store);
    await oldEngine.start(callerTrx, OTHER_ID, data);
    const { engine, sent } = setup([abcdSaga, buildAbcdSaga(2)], store);

    await engine.start(callerTrx, SAGA_ID, data);
    await engine.sweepOverdue(at(1_000));

    expect(store.stateOf(SAGA_ID).definitionVersion).toBe(2);
    expect(sent.map((s) => `${s.message.key === SAGA_ID ? "new" : "old"}:${s.message.type}`).sort()).toEqual(["new:DoAv2", "new:DoAv2", "old:DoA"]);
  });

  it.each([
    ["no definitions", [], /at least one saga definition/],
    ["two saga types", [abcdSaga, { ...abcdSaga, name: "other" }], /one saga type; got abcd and other/],
    ["a version twice", [abcdSaga, buildAbcdSaga(1)], /abcd v1 is given twice/],
  ])("refuses %s", (_case, definitions, message) => {
    expect(() => setup(definitions as SagaDefinition<AbcdData>[])).toThrow(message);
  });
});

describe("ConcurrentModificationError", () => {
  it("is transient for the inbox: the remedy is to run the transaction again, never to dead-letter", () => {
    expect(isTransientError(new ConcurrentModificationError(SAGA_ID, "is no longer at version 3"))).toBe(true);
  });
});

describe("SagaEngine, events that arrive together", () => {
  it("starts a batch of sagas with one read and one insert per table, a repeated id changing nothing but the log", async () => {
    const { engine, store, sent } = setup();
    store.statements = { loadMany: 0, createMany: 0, saveMany: 0, appendLog: 0 };
    const results = await engine.startAll(callerTrx, [
      { sagaId: SAGA_ID, data },
      { sagaId: OTHER_ID, data },
      { sagaId: SAGA_ID, data: { input: 99, results: [] } },
    ]);

    expect(results.map((r) => r.changed)).toEqual([true, true, false]);
    expect(store.statements).toEqual({ loadMany: 1, createMany: 1, saveMany: 0, appendLog: 1 });
    expect(store.stateOf(SAGA_ID)).toMatchObject({ version: 1, data: { input: 7 } });
    expect(sent.map((s) => s.message.key)).toEqual([SAGA_ID, OTHER_ID]);
  });

  it("applies replies in order, several to one saga, with one read, one save, one log insert and one outbox insert", async () => {
    const { engine, store, sent, lastCommand } = setup();
    await engine.start(callerTrx, SAGA_ID, data);
    const doA = lastCommand();
    await engine.start(callerTrx, OTHER_ID, data);
    const otherDoA = lastCommand();
    // B's command is not sent yet, but its reply is what B's command will be answered with: built from A's, one step on.
    const bReply = replyFor({ ...doA, correlation: { ...doA.correlation, step: 1 } }, "BDone", { result: "r1" });
    store.statements = { loadMany: 0, createMany: 0, saveMany: 0, appendLog: 0 };
    const insertsBefore = sent.length;

    const results = await engine.handleReplies(callerTrx, [
      { messageId: "m-1", reply: replyFor(doA, "ADone", { result: "r0" }) },
      { messageId: "m-2", reply: replyFor(otherDoA, "ADone", { result: "x0" }) },
      { messageId: "m-3", reply: bReply },
      { messageId: "m-1", reply: replyFor(doA, "ADone", { result: "r0" }) },
    ]);

    expect(results.map((r) => r?.changed)).toEqual([true, true, true, false]);
    expect(store.statements).toEqual({ loadMany: 1, createMany: 0, saveMany: 1, appendLog: 1 });
    // Two transitions of one saga: the row is written once, two versions on.
    expect(store.stateOf(SAGA_ID)).toMatchObject({ currentStep: 2, version: 3, data: { results: ["r0", "r1"] } });
    expect(store.stateOf(OTHER_ID)).toMatchObject({ currentStep: 1, version: 2 });
    expect(sent.slice(insertsBefore).map((s) => s.message.type)).toEqual(["DoB", "DoB", "DoC"]);
  });

  it("writes nothing of the batch when one of its sagas was changed by another writer meanwhile", async () => {
    const { engine, store, sent, lastCommand } = setup();
    await engine.start(callerTrx, SAGA_ID, data);
    const doA = lastCommand();
    await engine.start(callerTrx, OTHER_ID, data);
    const otherDoA = lastCommand();
    const logged = store.log.length;
    const inserted = sent.length;
    store.afterLoad = (id) => {
      const saga = store.sagas.get(id);
      if (id === OTHER_ID && saga) store.sagas.set(id, { ...saga, version: saga.version + 1 });
    };

    const batch = engine.handleReplies(callerTrx, [
      { messageId: "m-1", reply: replyFor(doA, "ADone", { result: "r0" }) },
      { messageId: "m-2", reply: replyFor(otherDoA, "ADone", { result: "x0" }) },
    ]);
    await expect(batch).rejects.toBeInstanceOf(ConcurrentModificationError);
    expect(store.stateOf(SAGA_ID)).toMatchObject({ currentStep: 0, version: 1 });
    expect(store.log).toHaveLength(logged);
    expect(sent).toHaveLength(inserted);
  });

  it("makes each transition's outbox rows in the context its caller gives for that message", async () => {
    let current = "none";
    const rowsMadeIn: string[] = [];
    const tracing = new SagaEngine<AbcdData>({
      store: new MemorySagaStore(),
      definitions: [abcdSaga],
      outbox: { rows: (messages) => messages.map(() => rowsMadeIn.push(current)), insert: async () => undefined },
      clock: () => T0,
    });
    const within =
      (name: string) =>
      <T>(work: () => T): T => {
        current = name;
        try {
          return work();
        } finally {
          current = "none";
        }
      };
    await tracing.startAll(callerTrx, [
      { sagaId: SAGA_ID, data, within: within("first") },
      { sagaId: OTHER_ID, data, within: within("second") },
    ]);
    expect(rowsMadeIn).toEqual(["first", "second"]);
  });
});
