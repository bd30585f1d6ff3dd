import { niced, nicenessOf } from "../../../stack/door-first";

describe("the door first", () => {
  it("lowers the saga side's CPU priority and leaves the customer-facing processes alone", () => {
    for (const name of ["orchestrator", "order", "payment", "kafka", "connect"]) expect([name, nicenessOf(name, {})]).toEqual([name, 10]);
    for (const name of ["api", "purchase", "product", "account"]) expect([name, nicenessOf(name, {})]).toEqual([name, 0]);
  });

  it("takes STACK_SAGA_NICENESS, 0 turning it off, and refuses what nice would not", () => {
    expect(nicenessOf("order", { STACK_SAGA_NICENESS: "0" })).toBe(0);
    expect(nicenessOf("order", { STACK_SAGA_NICENESS: "19" })).toBe(19);
    expect(() => nicenessOf("order", { STACK_SAGA_NICENESS: "20" })).toThrow("STACK_SAGA_NICENESS");
  });

  it("runs a command under nice only when there is a niceness", () => {
    expect(niced("java", ["-jar", "x.jar"], 10)).toEqual({ command: "nice", args: ["-n", "10", "java", "-jar", "x.jar"] });
    expect(niced("java", ["-jar", "x.jar"], 0)).toEqual({ command: "java", args: ["-jar", "x.jar"] });
  });
});
