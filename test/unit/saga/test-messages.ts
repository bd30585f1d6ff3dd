/** Message declarations for the tests' domain-free sagas. */
import { declareMessage } from "../../../lib/messages/message-declaration";

/** A message whose payload may be any object. */
export const anyMessage = (name: string, topic = "test.commands") => declareMessage(name, topic, {});

/** Every test saga's results. */
export const TEST_RESULTS = { COMPLETED: anyMessage("SagaCompleted", "test.results"), FAILED: anyMessage("SagaFailed", "test.results") };
