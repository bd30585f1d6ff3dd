/**
 * The fault tests' one shape: a sale (test/support/sale.ts, the same as
 * `npm run chaos`, smaller) with the fault injected mid-run and healed.
 * Every purchase ends, the invariants hold, and a part that comes back within
 * seconds costs no purchase: at least 95% COMPLETED (stock and money suffice),
 * or all of them where nothing crashes at all (a deploy).
 */
import { faultNamed } from "../../support/faults";
import { CI_SALE, completedShare, runSale, saleTable } from "../../support/sale";

export function testFaultUnderSale(faultName: string, title: string, minimumCompletedShare = 0.95): void {
  test(
    title,
    async () => {
      const report = await runSale(CI_SALE, faultNamed(faultName));
      // The figures belong in the log whether or not the test passes.
      process.stdout.write(`${saleTable([report])}\n${report.violations.map((v) => `  ${v}`).join("\n")}\n`);
      expect(report.violations).toEqual([]);
      expect(report.unfinished).toBe(0);
      expect(completedShare(report)).toBeGreaterThanOrEqual(minimumCompletedShare);
    },
    900_000,
  );
}
