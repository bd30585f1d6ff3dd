/** Every service started by the stack serves Prometheus metrics, including the Kafka channels' message counts. */
import { metricsPortOf, serviceNames } from "../../../stack/services";

test.each(serviceNames())("%s serves Prometheus metrics on its port", async (name) => {
  const res = await fetch(`http://127.0.0.1:${metricsPortOf(name)}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).toMatch(/^# TYPE moleculer_request_total counter$/m);
});

test("the orchestrator counts the saga messages it consumed", async () => {
  const text = await (await fetch(`http://127.0.0.1:${metricsPortOf("orchestrator")}/metrics`)).text();
  expect(text).toMatch(/^moleculer_channels_messages_total\{.*channel="saga.replies".*\} \d+/m);
});
