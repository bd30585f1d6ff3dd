/**
 * The Kafka broker killed mid-sale and kept down for 3 minutes, then one
 * `stack up` and no other hand: the outbox connectors stream again, no step
 * budget was spent on the outage, and the sale ends as if nothing happened.
 */
import { testFaultUnderSale } from "./fault-under-sale";

testFaultUnderSale("kafka-down-3m", "a sale survives Kafka down for 3 minutes: every purchase ends, invariants hold, ≥95% complete");
