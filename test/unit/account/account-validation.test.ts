import Validator, { ValidationError } from "fastest-validator";
import { Errors, ServiceBroker } from "moleculer";
import { deliveryUpdateSchema, loginSchema, personalUpdateSchema, refreshSchema, registerSchema } from "../../../services/account/account-validation";

const validator = new Validator();
const checkRegister = validator.compile(registerSchema);
const checkLogin = validator.compile(loginSchema);
const checkRefresh = validator.compile(refreshSchema);
const checkPersonalUpdate = validator.compile(personalUpdateSchema);
const checkDeliveryUpdate = validator.compile(deliveryUpdateSchema);

const SEED_REGISTER_BODY = {
  email: "deptrai123@gmail.com",
  password: "deptrai123",
  first_name: "dep",
  last_name: "trai",
  address: "123 street",
  phone_number: "0123456788",
};

/** Runs a compiled check on a copy and returns the errors (empty when valid). */
type CompiledCheck = (value: object) => true | ValidationError[] | Promise<true | ValidationError[]>;

function errorsOf(check: CompiledCheck, body: object): ValidationError[] {
  const result = check({ ...body });
  if (result instanceof Promise) throw new Error("schemas are expected to be synchronous");
  return result === true ? [] : result;
}

function failedFields(check: CompiledCheck, body: object): string[] {
  return errorsOf(check, body).map((error) => error.field ?? "");
}

describe("registerSchema", () => {
  it("accepts the seed's register body exactly as sent", () => {
    const body = { ...SEED_REGISTER_BODY };
    expect(checkRegister(body)).toBe(true);
    expect(body).toEqual(SEED_REGISTER_BODY);
  });

  it("lower-cases and trims the email so uniqueness is case-insensitive", () => {
    const body = { ...SEED_REGISTER_BODY, email: "  DepTrai123@Gmail.COM " };
    expect(checkRegister(body)).toBe(true);
    expect(body.email).toBe("deptrai123@gmail.com");
  });

  it("removes fields it does not declare instead of passing them on", () => {
    const body: Record<string, unknown> = { ...SEED_REGISTER_BODY, role: "admin", id: 1 };
    expect(checkRegister(body)).toBe(true);
    expect(body).toEqual(SEED_REGISTER_BODY);
  });

  it.each(["deptrai123", "deptrai123@", "@gmail.com", "dep trai@gmail.com", "deptrai@gmail", 42])(
    "rejects the malformed email %j with a message naming the field",
    (email) => {
      const errors = errorsOf(checkRegister, { ...SEED_REGISTER_BODY, email });
      expect(errors).toHaveLength(1);
      expect(errors[0].field).toBe("email");
      expect(errors[0].message).toContain("'email'");
    },
  );

  it("reports every missing field by name", () => {
    const errors = errorsOf(checkRegister, {});
    expect(errors.map((error) => [error.field, error.type])).toEqual([
      ["email", "required"],
      ["password", "required"],
      ["first_name", "required"],
      ["last_name", "required"],
      ["address", "required"],
      ["phone_number", "required"],
    ]);
    expect(errors[0].message).toBe("The 'email' field is required.");
  });

  it.each([
    ["email", `${"a".repeat(245)}@gmail.com`, "emailMax"],
    ["password", "p".repeat(129), "stringMax"],
    ["first_name", "n".repeat(101), "stringMax"],
    ["last_name", "n".repeat(101), "stringMax"],
    ["address", "a".repeat(501), "stringMax"],
    ["phone_number", "0".repeat(21), "stringPattern"],
  ])("rejects an over-long %s", (field, value, type) => {
    const errors = errorsOf(checkRegister, { ...SEED_REGISTER_BODY, [field]: value });
    expect(errors.map((error) => [error.field, error.type])).toEqual([[field, type]]);
    expect(errors[0].message).toContain(`'${field}'`);
  });

  it("accepts every field at its maximum length", () => {
    const atLimits = {
      email: `${"a".repeat(244)}@gmail.com`,
      password: "p".repeat(128),
      first_name: "n".repeat(100),
      last_name: "n".repeat(100),
      address: "a".repeat(500),
      phone_number: "0".repeat(20),
    };
    expect(atLimits.email).toHaveLength(254);
    expect(errorsOf(checkRegister, atLimits)).toEqual([]);
  });

  it("rejects a password shorter than 8 characters and blank names or address", () => {
    expect(failedFields(checkRegister, { ...SEED_REGISTER_BODY, password: "short12" })).toEqual(["password"]);
    expect(failedFields(checkRegister, { ...SEED_REGISTER_BODY, first_name: "   ", last_name: "", address: " " })).toEqual([
      "first_name",
      "last_name",
      "address",
    ]);
  });

  it.each(["+84 912 345 678", "(028) 3822-1234", "012345"])("accepts the phone number %j", (phone_number) => {
    expect(errorsOf(checkRegister, { ...SEED_REGISTER_BODY, phone_number })).toEqual([]);
  });

  it.each(["12345", "call me", "0123456788; DROP TABLE", "++84123456"])("rejects the phone number %j", (phone) => {
    const errors = errorsOf(checkRegister, { ...SEED_REGISTER_BODY, phone_number: phone });
    expect(errors.map((error) => error.field)).toEqual(["phone_number"]);
    expect(errors[0].message).toMatch(/^The 'phone_number' field must be a phone number/);
  });
});

describe("loginSchema", () => {
  it("accepts an email and password, normalising the email", () => {
    const body = { email: "DepTrai123@gmail.com", password: "deptrai123" };
    expect(checkLogin(body)).toBe(true);
    expect(body.email).toBe("deptrai123@gmail.com");
  });

  it("names missing and malformed fields", () => {
    expect(failedFields(checkLogin, { email: "nope" })).toEqual(["email", "password"]);
    expect(failedFields(checkLogin, { email: "deptrai123@gmail.com", password: "" })).toEqual(["password"]);
  });
});

describe("refreshSchema", () => {
  it("accepts a refresh_token and drops anything else", () => {
    const body: Record<string, unknown> = { refresh_token: "a.b.c", access_token: "x" };
    expect(checkRefresh(body)).toBe(true);
    expect(body).toEqual({ refresh_token: "a.b.c" });
  });

  it("rejects a missing, non-string or oversized token", () => {
    expect(failedFields(checkRefresh, {})).toEqual(["refresh_token"]);
    expect(failedFields(checkRefresh, { refresh_token: 123 })).toEqual(["refresh_token"]);
    expect(failedFields(checkRefresh, { refresh_token: "t".repeat(2049) })).toEqual(["refresh_token"]);
  });
});

describe("personalUpdateSchema and deliveryUpdateSchema", () => {
  it("accept exactly their own fields", () => {
    const personal: Record<string, unknown> = { first_name: "dep", last_name: "trai", email: "x@y.zz" };
    const delivery: Record<string, unknown> = { address: "123 street", phone_number: "0123456788", first_name: "x" };

    expect(checkPersonalUpdate(personal)).toBe(true);
    expect(personal).toEqual({ first_name: "dep", last_name: "trai" });
    expect(checkDeliveryUpdate(delivery)).toBe(true);
    expect(delivery).toEqual({ address: "123 street", phone_number: "0123456788" });
  });

  it("name the fields that fail", () => {
    expect(failedFields(checkPersonalUpdate, { first_name: "n".repeat(101) })).toEqual(["first_name", "last_name"]);
    expect(failedFields(checkDeliveryUpdate, { address: "", phone_number: "abc" })).toEqual(["address", "phone_number"]);
  });
});

describe("as Moleculer action params", () => {
  const broker = new ServiceBroker({ logger: false });
  broker.createService({
    name: "account-validation-probe",
    actions: {
      register: { params: registerSchema, handler: (ctx) => ctx.params },
    },
  });

  beforeAll(() => broker.start());
  afterAll(() => broker.stop());

  it("hands the handler only declared, normalised fields", async () => {
    const params = await broker.call("account-validation-probe.register", {
      ...SEED_REGISTER_BODY,
      email: "DEPTRAI123@gmail.com",
      role: "admin",
    });
    expect(params).toEqual(SEED_REGISTER_BODY);
  });

  it("rejects a bad body with a ValidationError listing the failing fields", async () => {
    const badBody = { ...SEED_REGISTER_BODY, email: "nope", password: "x" };
    const call = broker.call("account-validation-probe.register", badBody);
    await expect(call).rejects.toBeInstanceOf(Errors.ValidationError);
    await expect(call).rejects.toMatchObject({
      code: 422,
      data: [expect.objectContaining({ field: "email" }), expect.objectContaining({ field: "password" })],
    });
  });
});
