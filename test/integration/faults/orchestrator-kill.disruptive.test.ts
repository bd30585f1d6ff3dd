/** kill -9 of the orchestrator in the middle of a sale; the supervisor restarts it and it picks up every saga where the log left it. */
import { testFaultUnderSale } from "./fault-under-sale";

testFaultUnderSale("kill-orchestrator", "a sale survives the orchestrator killed mid-run: every purchase ends, invariants hold, ≥95% complete");
