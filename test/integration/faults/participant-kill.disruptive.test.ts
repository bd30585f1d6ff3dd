/** kill -9 of the payment service in the middle of a sale; the supervisor restarts it. */
import { testFaultUnderSale } from "./fault-under-sale";

testFaultUnderSale("kill-payment", "a sale survives the payment service killed mid-run: every purchase ends, invariants hold, ≥95% complete");
