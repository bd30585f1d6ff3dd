import type { CommittedTransition } from "../../../lib/saga/saga-engine";
import { sagaObservations } from "../../../lib/saga/saga-observations";
import type { SagaState } from "../../../lib/saga/state";
import type { TransitionResult } from "../../../lib/saga/transitions";
import { type AbcdData, abcdSaga, at, deadline, onlyCommand, replyTo, run, start } from "./abcd-saga";

/** Drives the saga event by event, keeping each change as the engine would tell it after commit. */
class Journey {
  readonly committed: CommittedTransition<AbcdData>[] = [];
  private before: SagaState<AbcdData> | null = null;
  result: TransitionResult<AbcdData>;

  constructor() {
    this.result = this.keep(start());
  }

  reply(type: string, now: Date): this {
    this.keep(run(this.result.state, replyTo(onlyCommand(this.result), type, { result: type }, now)));
    return this;
  }

  deadline(now: Date): this {
    this.keep(run(this.result.state, deadline(now)));
    return this;
  }

  private keep(result: TransitionResult<AbcdData>): TransitionResult<AbcdData> {
    this.committed.push({ before: this.before, after: result.state, version: this.committed.length + 1, log: result.log });
    this.before = result.state;
    this.result = result;
    return result;
  }
}

const kinds = (journey: Journey) => sagaObservations(abcdSaga, journey.committed).map((o) => ("step" in o ? `${o.kind} ${o.step}` : o.kind));

describe("sagaObservations", () => {
  it("sees a saga start and complete, and how long each step's reply took since its command", () => {
    const journey = new Journey().reply("ADone", at(250)).reply("BDone", at(600)).reply("CDone", at(700)).reply("DDone", at(1_700));
    const observations = sagaObservations(abcdSaga, journey.committed);
    expect(observations.filter((o) => o.kind === "reply_latency")).toEqual([
      { kind: "reply_latency", saga: "abcd", step: "A", direction: "forward", seconds: 0.25 },
      { kind: "reply_latency", saga: "abcd", step: "B", direction: "forward", seconds: 0.35 },
      { kind: "reply_latency", saga: "abcd", step: "C", direction: "forward", seconds: 0.1 },
      { kind: "reply_latency", saga: "abcd", step: "D", direction: "forward", seconds: 1 },
    ]);
    expect(kinds(journey).filter((k) => !k.startsWith("reply_latency"))).toEqual(["started", "completed"]);
  });

  it("sees a passed deadline and the re-send it caused, and times the reply from the re-send", () => {
    // A waits 1 s; its deadline passes at 1.5 s and the second attempt is sent then.
    const journey = new Journey().deadline(at(1_500)).reply("ADone", at(1_700));
    const observations = sagaObservations(abcdSaga, journey.committed);
    expect(kinds(journey)).toEqual(["started", "deadline_passed A", "resent A", "reply_latency A"]);
    expect(observations.find((o) => o.kind === "reply_latency")).toMatchObject({ seconds: 0.2 });
  });

  it("sees the step that failed, each compensation and the saga's failure", () => {
    const journey = new Journey().reply("ADone", at(100)).reply("BRejected", at(200)).reply("AUndone", at(300));
    // A refusal is a reply too: its latency counts.
    expect(kinds(journey)).toEqual(["started", "reply_latency A", "reply_latency B", "step_failed B", "reply_latency A", "compensated A", "failed"]);
  });

  it("counts nothing twice: an unchanged saga tells nothing, and other versions are left to their own definition", () => {
    const journey = new Journey();
    const otherVersion = journey.committed.map((t) => ({ ...t, after: { ...t.after, definitionVersion: 2 } }));
    expect(sagaObservations(abcdSaga, otherVersion)).toEqual([]);
  });
});
