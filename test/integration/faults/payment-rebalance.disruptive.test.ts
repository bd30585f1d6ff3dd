/** A second payment consumer joins mid-sale and leaves again: two rebalances, no effect lost or doubled. */
import { testFaultUnderSale } from "./fault-under-sale";

testFaultUnderSale("rebalance-payment", "a sale survives its payment consumers rebalancing twice: every purchase ends once, invariants hold, ≥95% complete");
