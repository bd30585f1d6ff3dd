/** kill -9 of Kafka Connect in the middle of a sale; the stack tool starts it again and Debezium resumes every outbox from its slot. */
import { testFaultUnderSale } from "./fault-under-sale";

testFaultUnderSale("kill-connect", "a sale survives Kafka Connect killed and restarted mid-run: every purchase ends, invariants hold, ≥95% complete");
