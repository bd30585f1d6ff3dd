/** Two projects: `unit` needs nothing running; `integration` talks to the local stack. */
const tsJest = ["ts-jest", { diagnostics: { warnOnly: false }, isolatedModules: true }];
module.exports = {
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
    },
    {
      displayName: "integration",
      testEnvironment: "node",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
      testTimeout: 120000,
    },
  ],
};
