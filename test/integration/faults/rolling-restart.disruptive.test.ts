/** A deploy while trading: every service in turn stopped with SIGTERM and started again by its supervisor. */
import { testFaultUnderSale } from "./fault-under-sale";

testFaultUnderSale("rolling-restart", "a sale survives a rolling restart of every service: every purchase completes, invariants hold", 1);
