// Validates Kubernetes manifests against the API schemas of kubernetes-models (Kubernetes' OpenAPI
// definitions compiled into validators; KEDA and Prometheus Operator CRDs from their packages).
// Input: a JSON file [{"source": "...", "manifest": {...}}, ...]; output: one line per problem,
// "INVALID <source> <kind>/<name>: <message>" or "UNKNOWN <source> <apiVersion> <kind>", then "CHECKED <n>".
import { readFileSync } from "node:fs";

const [, , input] = process.argv;
const documents = JSON.parse(readFileSync(input, "utf8"));

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "keda.sh" || group === "eventing.keda.sh") return `@kubernetes-models/keda/${group}/${version}/${kind}`;
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (group === "") return `kubernetes-models/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

let problems = 0;
for (const { source, manifest } of documents) {
  const { apiVersion, kind } = manifest;
  const name = manifest.metadata?.name;
  let Model;
  try {
    Model = (await import(modulePath(apiVersion, kind)))[kind];
  } catch (e) {
    Model = undefined;
  }
  if (!Model) {
    console.log(`UNKNOWN ${source} ${apiVersion} ${kind}`);
    problems++;
    continue;
  }
  try {
    new Model(manifest).validate();
  } catch (e) {
    console.log(`INVALID ${source} ${kind}/${name}: ${String(e.message).replace(/\s+/g, " ")}`);
    problems++;
  }
}
console.log(`CHECKED ${documents.length}`);
process.exit(problems === 0 ? 0 : 1);
