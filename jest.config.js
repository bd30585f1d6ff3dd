/** Two projects: `unit` needs nothing running; `integration` talks to the local stack. */
const transform = { "^.+\\.ts$": ["ts-jest", {}] };
module.exports = {
  testTimeout: 120000,
  modulePathIgnorePatterns: ["<rootDir>/.stack/", "<rootDir>/dist/"],
  testSequencer: "<rootDir>/test/support/sequencer.js",
  projects: [
    { displayName: "unit", roots: ["<rootDir>/test"], testEnvironment: "node", testMatch: ["<rootDir>/test/unit/**/*.test.ts"], transform },
    { displayName: "integration", roots: ["<rootDir>/test"], testEnvironment: "node", testMatch: ["<rootDir>/test/integration/**/*.test.ts"], transform },
  ],
};
