import { createIncident, getIncident, updateIncident } from "./out/sdk.gen";
import type { IncidentRead, Problem, SortKey } from "./out/types.gen";

export async function check(): Promise<number> {
  const made = await createIncident({ body: { title: "Disk full" } });
  if (made.error) {
    const problem: Problem = made.error;
    return problem.status;
  }
  const incident: IncidentRead | undefined = made.data;
  const got = await getIncident({ path: { ref: incident?.number ?? "INC-000001" } });
  if (got.error) {
    const status: number = got.error.status;
    const fields: string[] = (got.error.errors ?? []).map((e) => e.field);
    return status + fields.length;
  }
  const stale = await updateIncident({
    path: { ref: "INC-000001" },
    headers: { "If-Match": '"1"' },
    body: { title: "x" },
  });
  const order: SortKey = "-created_at";
  return (stale.data?.version ?? 0) + order.length;
}
