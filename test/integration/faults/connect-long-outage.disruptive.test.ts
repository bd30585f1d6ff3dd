/**
 * Kafka Connect killed mid-sale and kept down for 3 minutes, then one
 * `stack up`: the outboxes piled up meanwhile stream out, and deadlines held
 * back for the outage spend no purchase.
 */
import { testFaultUnderSale } from "./fault-under-sale";

testFaultUnderSale("connect-down-3m", "a sale survives Kafka Connect down for 3 minutes: every purchase ends, invariants hold, ≥95% complete");
