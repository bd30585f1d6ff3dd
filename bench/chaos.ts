/**
 * Fault injection: for each fault, a 300-purchase sale over 10 products with
 * the fault injected a third of the way in and healed (the supervisor brings
 * a killed service back, the stack tool a killed part), then the invariants.
 * Prints one table row per fault, then every violation found.
 *   npm run chaos -- [fault ...] [--purchases=N] [--products=N] [--per-second=N]
 * Without fault names it runs them all. Needs the system running with limits above the load:
 *   RATE_LIMIT=100000000 AUTH_RATE_LIMIT=100000 npm start
 */
// Before the faults (which load moleculer.config): the stack's logins must be in the environment first.
import "./stack-env-first";
import { FAULTS, faultNamed } from "../test/support/faults";
import { CHAOS_SALE, type SaleReport, type SaleSettings, runSale, saleTable } from "../test/support/sale";

function parseArgs(argv: string[]): { faultNames: string[]; settings: SaleSettings } {
  const settings = { ...CHAOS_SALE };
  const faultNames: string[] = [];
  const flags: Record<string, (value: number) => void> = {
    purchases: (n) => {
      settings.purchases = n;
      settings.faultAfter = Math.max(1, Math.round(n / 3));
    },
    products: (n) => (settings.products = n),
    "per-second": (n) => (settings.perSecond = n),
  };
  for (const arg of argv) {
    const flag = /^--([a-z-]+)=(\d+)$/.exec(arg);
    if (flag && flags[flag[1]]) flags[flag[1]](Number(flag[2]));
    else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}: use --purchases=N, --products=N, --per-second=N`);
    else faultNames.push(arg);
  }
  return { faultNames, settings };
}

async function main(): Promise<void> {
  const { faultNames, settings } = parseArgs(process.argv.slice(2));
  const faults = faultNames.length > 0 ? faultNames.map(faultNamed) : FAULTS;
  console.log(
    `${settings.purchases} purchases over ${settings.products} products at ${settings.perSecond}/s per fault; the fault goes in once ${settings.faultAfter} are recorded`,
  );
  const reports: SaleReport[] = [];
  for (const fault of faults) {
    console.log(`[chaos] ${fault.name}: ${fault.description}`);
    const report = await runSale(settings, fault);
    reports.push(report);
    console.log(`${saleTable([report]).split("\n")[1]}`);
  }

  console.log(`\n${saleTable(reports)}`);
  for (const report of reports.filter((r) => r.violations.length > 0)) {
    console.log(`\n${report.fault}: ${report.violations.length} violation(s)`);
    for (const violation of report.violations.slice(0, 20)) console.log(`  ${violation}`);
  }
  if (reports.some((r) => r.violations.length > 0)) process.exitCode = 1;
}

main().then(
  // A stack part restarted from here is a detached daemon; nothing else should keep this program alive.
  () => process.exit(),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
