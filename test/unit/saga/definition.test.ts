import { declareMessage } from "../../../lib/messages/message-declaration";
import { defineSaga, type StepBuilder, type StepTimeout } from "../../../lib/saga/definition";
import { abcdSaga } from "./abcd-saga";
import { TEST_RESULTS, anyMessage } from "./test-messages";

const topics = { replyTopic: "saga.replies", results: TEST_RESULTS };
const timeout: StepTimeout = { ms: 1_000, policy: "compensate" };
const Do = anyMessage("Do", "t");
const Ok = anyMessage("Ok");
const nothing = () => ({});

describe("defineSaga", () => {
  it("builds the steps in order with their topics, replies, timeouts and compensations", () => {
    expect(abcdSaga).toMatchObject({
      name: "abcd",
      version: 1,
      replyTopic: "saga.replies",
      results: { COMPLETED: { type: "SagaCompleted", topic: "test.results" }, FAILED: { type: "SagaFailed", topic: "test.results" } },
    });
    expect(abcdSaga.steps.map((s) => [s.name, s.topic, s.timeout.policy, s.compensation?.replyType ?? null])).toEqual([
      ["A", "a.commands", "retry", "AUndone"],
      ["B", "b.commands", "compensate", "BUndone"],
      ["C", "c.commands", "retry", null],
      ["D", "d.commands", "compensate", null],
    ]);
    expect([...(abcdSaga.steps[0]?.successReplies.keys() ?? [])]).toEqual(["ADone"]);
    expect([...(abcdSaga.steps[0]?.failureReplies ?? [])]).toEqual(["ARejected"]);
    expect(abcdSaga.steps[0]?.command({ input: 3, results: [] })).toEqual({ type: "DoA", payload: { input: 3 } });
  });

  it("folds a reply into the data only through the onReply handler, and leaves it alone without one", () => {
    const saga = defineSaga<{ n: number }>("s", 1, topics)
      .step("add")
      .invoke(Do, nothing)
      .onReply(declareMessage("Added", "saga.replies", { by: "number" }), (d, r) => ({ n: d.n + r.by }))
      .timeout(timeout)
      .step("noop")
      .invoke(Do, nothing)
      .onReply(anyMessage("Fine"))
      .timeout(timeout)
      .build();
    expect(saga.steps[0]?.successReplies.get("Added")?.({ n: 1 }, { by: 2 })).toEqual({ n: 3 });
    expect(saga.steps[1]?.successReplies.get("Fine")?.({ n: 1 }, { by: 2 })).toEqual({ n: 1 });
  });

  it("is not changed by using the builder after build()", () => {
    const builder = defineSaga("s", 1, topics).step("one").invoke(Do, nothing).onReply(anyMessage("Done")).timeout(timeout);
    const built = builder.build();
    builder.onReply(anyMessage("Other")).onFailure(anyMessage("Nope"));
    expect([...(built.steps[0]?.successReplies.keys() ?? [])]).toEqual(["Done"]);
    expect(built.steps[0]?.failureReplies.size).toBe(0);
    expect(Object.isFrozen(built)).toBe(true);
  });

  const step = (name: string) => defineSaga("s", 1, topics).step(name);
  const complete = (builder: StepBuilder<unknown>) => builder.invoke(Do, nothing).onReply(Ok).timeout(timeout);
  const badBudget = { ms: 1, maxAttempts: 1, backoffMs: -1 };

  it.each([
    ["no steps", () => defineSaga("s", 1, topics).build(), /at least one step/],
    ["a bad version", () => complete(defineSaga("s", 0, topics).step("a")).build(), /version must be a positive integer/],
    ["a missing topic", () => complete(defineSaga("s", 1, { ...topics, replyTopic: "" }).step("a")).build(), /a replyTopic is required/],
    ["no invoke", () => step("a").onReply(Ok).timeout(timeout).build(), /step "a" needs invoke/],
    ["no success reply", () => step("a").invoke(Do, nothing).timeout(timeout).build(), /step "a" needs at least one onReply/],
    ["no timeout", () => step("a").invoke(Do, nothing).onReply(Ok).build(), /step "a" needs a timeout/],
    ["a reply that is both", () => complete(step("a")).onFailure(Ok).build(), /"Ok" as both success and failure/],
    [
      "two declarations of one reply",
      () =>
        complete(complete(step("a")).step("b"))
          .onFailure(declareMessage("Ok", "saga.replies", { other: "string" }))
          .build(),
      /two different declarations of the reply "Ok"/,
    ],
    [
      "a compensation sent elsewhere than its step",
      () =>
        complete(step("a"))
          .withCompensation({ command: anyMessage("Undo", "elsewhere"), payload: nothing, reply: anyMessage("Undone"), timeout: badBudget })
          .build(),
      /step "a" is undone on elsewhere, not on t/,
    ],
    ["a duplicate step name", () => complete(complete(step("a")).step("a")).build(), /step "a" is defined twice/],
    [
      "zero retry attempts",
      () => complete(step("a")).timeout({ ms: 1, policy: "retry", maxAttempts: 0, backoffMs: 0 }).build(),
      /maxAttempts must be an integer of at least 1/,
    ],
    ["a non-positive wait", () => complete(step("a")).timeout({ ms: 0, policy: "compensate" }).build(), /timeout ms must be positive/],
    [
      "a bad compensation budget",
      () =>
        complete(step("a"))
          .withCompensation({ command: anyMessage("Undo", "t"), payload: nothing, reply: anyMessage("Undone"), timeout: badBudget })
          .build(),
      /step "a" compensation: backoffMs must not be negative/,
    ],
  ])("rejects %s", (_case, build, message) => {
    expect(build).toThrow(message);
  });

  it("reports every problem at once", () => {
    expect(() => defineSaga("s", 1, topics).step("a").step("b").build()).toThrow(/step "a" needs invoke.*step "b" needs invoke/);
  });
});
